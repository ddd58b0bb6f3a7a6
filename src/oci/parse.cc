// Reads runtime-spec JSON into oci::Spec with ObjectReader, then validates.
//
// Member names are the runtime-spec 1.2 JSON names. The parser checks shapes
// (types, members the spec marks REQUIRED whose zero value is meaningless);
// value checks live in validate.cc. nlohmann's exceptions stop here.
#include "oci/parse.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "oci/json_reader.h"
#include "oci/names.h"
#include "oci/validate.h"

namespace berth::oci {

using nlohmann::json;

namespace {

void read_id_mappings(ObjectReader& r, const char* key, std::vector<IdMapping>& out) {
  r.array(key, [&](ObjectReader& e) {
    IdMapping& m = out.emplace_back();
    e.integer("containerID", m.container_id);
    e.integer("hostID", m.host_id);
    e.integer("size", m.size);
  });
}

void read_process(ObjectReader& r, Process& p) {
  r.boolean("terminal", p.terminal);
  r.object("consoleSize", [&](ObjectReader& c) {
    ConsoleSize& size = p.console_size.emplace();
    c.integer("height", size.height);
    c.integer("width", size.width);
  });
  r.object("user", [&](ObjectReader& u) {
    u.integer("uid", p.user.uid);
    u.integer("gid", p.user.gid);
    u.integer("umask", p.user.umask);
    u.integers("additionalGids", p.user.additional_gids);
    u.str("username", p.user.username);
  });
  r.strings("args", p.args);
  r.str("commandLine", p.command_line);
  r.strings("env", p.env);
  r.str("cwd", p.cwd, /*required=*/true);
  r.object("capabilities", [&](ObjectReader& c) {
    Capabilities& caps = p.capabilities.emplace();
    c.strings("bounding", caps.bounding);
    c.strings("effective", caps.effective);
    c.strings("inheritable", caps.inheritable);
    c.strings("permitted", caps.permitted);
    c.strings("ambient", caps.ambient);
  });
  r.array("rlimits", [&](ObjectReader& e) {
    Rlimit& rl = p.rlimits.emplace_back();
    e.str("type", rl.type, true);
    e.integer("soft", rl.soft, true);
    e.integer("hard", rl.hard, true);
    rl.resource = rlimit_from_name(rl.type).value_or(-1);  // -1: validate reports it
  });
  r.boolean("noNewPrivileges", p.no_new_privileges);
  r.str("apparmorProfile", p.apparmor_profile);
  r.integer("oomScoreAdj", p.oom_score_adj);
  r.str("selinuxLabel", p.selinux_label);
  r.object("ioPriority", [&](ObjectReader& o) {
    IoPriority& io = p.io_priority.emplace();
    o.str("class", io.klass, true);
    o.integer("priority", io.priority);
  });
  r.object("scheduler", [&](ObjectReader& o) {
    Scheduler& s = p.scheduler.emplace();
    o.str("policy", s.policy, true);
    o.integer("nice", s.nice);
    o.integer("priority", s.priority);
    o.strings("flags", s.flags);
    o.integer("runtime", s.runtime);
    o.integer("deadline", s.deadline);
    o.integer("period", s.period);
  });
  r.object("execCPUAffinity", [&](ObjectReader& o) {
    ExecCpuAffinity& a = p.exec_cpu_affinity.emplace();
    o.str("initial", a.initial);
    o.str("final", a.final);
  });
}

void read_block_io(ObjectReader& r, BlockIo& b) {
  r.integer("weight", b.weight);
  r.integer("leafWeight", b.leaf_weight);
  r.array("weightDevice", [&](ObjectReader& e) {
    WeightDevice& d = b.weight_device.emplace_back();
    e.integer("major", d.major, true);
    e.integer("minor", d.minor, true);
    e.integer("weight", d.weight);
    e.integer("leafWeight", d.leaf_weight);
  });
  auto throttle = [&](const char* key, std::vector<ThrottleDevice>& out) {
    r.array(key, [&](ObjectReader& e) {
      ThrottleDevice& d = out.emplace_back();
      e.integer("major", d.major, true);
      e.integer("minor", d.minor, true);
      e.integer("rate", d.rate, true);
    });
  };
  throttle("throttleReadBpsDevice", b.throttle_read_bps_device);
  throttle("throttleWriteBpsDevice", b.throttle_write_bps_device);
  throttle("throttleReadIOPSDevice", b.throttle_read_iops_device);
  throttle("throttleWriteIOPSDevice", b.throttle_write_iops_device);
}

void read_resources(ObjectReader& r, Resources& res) {
  r.array("devices", [&](ObjectReader& e) {
    DeviceCgroup& d = res.devices.emplace_back();
    e.boolean("allow", d.allow, true);
    e.str("type", d.type);
    e.integer("major", d.major);
    e.integer("minor", d.minor);
    e.str("access", d.access);
  });
  r.object("memory", [&](ObjectReader& o) {
    Memory& m = res.memory.emplace();
    o.integer("limit", m.limit);
    o.integer("reservation", m.reservation);
    o.integer("swap", m.swap);
    o.integer("kernel", m.kernel);
    o.integer("kernelTCP", m.kernel_tcp);
    o.integer("swappiness", m.swappiness);
    o.boolean("disableOOMKiller", m.disable_oom_killer);
    o.boolean("useHierarchy", m.use_hierarchy);
    o.boolean("checkBeforeUpdate", m.check_before_update);
  });
  r.object("cpu", [&](ObjectReader& o) {
    Cpu& c = res.cpu.emplace();
    o.integer("shares", c.shares);
    o.integer("quota", c.quota);
    o.integer("burst", c.burst);
    o.integer("period", c.period);
    o.integer("realtimeRuntime", c.realtime_runtime);
    o.integer("realtimePeriod", c.realtime_period);
    o.str("cpus", c.cpus);
    o.str("mems", c.mems);
    o.integer("idle", c.idle);
  });
  r.object("pids", [&](ObjectReader& o) { o.integer("limit", res.pids.emplace().limit); });
  r.object("blockIO", [&](ObjectReader& o) { read_block_io(o, res.block_io.emplace()); });
  r.array("hugepageLimits", [&](ObjectReader& e) {
    HugepageLimit& h = res.hugepage_limits.emplace_back();
    e.str("pageSize", h.page_size, true);
    e.integer("limit", h.limit, true);
  });
  r.object("network", [&](ObjectReader& o) {
    Network& n = res.network.emplace();
    o.integer("classID", n.class_id);
    o.array("priorities", [&](ObjectReader& e) {
      NetPriority& p = n.priorities.emplace_back();
      e.str("name", p.name, true);
      e.integer("priority", p.priority, true);
    });
  });
  r.object_map("rdma", [&](const std::string& name, ObjectReader& o) {
    Rdma& rdma = res.rdma[name];
    o.integer("hcaHandles", rdma.hca_handles);
    o.integer("hcaObjects", rdma.hca_objects);
  });
  r.string_map("unified", res.unified);
}

void read_seccomp(ObjectReader& r, Seccomp& s) {
  r.str("defaultAction", s.default_action, true);
  r.integer("defaultErrnoRet", s.default_errno_ret);
  r.strings("architectures", s.architectures);
  r.strings("flags", s.flags);
  r.str("listenerPath", s.listener_path);
  r.str("listenerMetadata", s.listener_metadata);
  r.array("syscalls", [&](ObjectReader& e) {
    SeccompSyscall& sc = s.syscalls.emplace_back();
    e.strings("names", sc.names);
    e.str("action", sc.action, true);
    e.integer("errnoRet", sc.errno_ret);
    e.array("args", [&](ObjectReader& a) {
      SeccompArg& arg = sc.args.emplace_back();
      a.integer("index", arg.index, true);
      a.integer("value", arg.value);
      a.integer("valueTwo", arg.value_two);
      a.str("op", arg.op, true);
    });
  });
}

void read_linux(ObjectReader& r, Linux& lx) {
  r.array("namespaces", [&](ObjectReader& e) {
    Namespace& ns = lx.namespaces.emplace_back();
    std::string type;
    e.str("type", type, true);
    e.str("path", ns.path);
    if (!e.ok()) return;
    if (auto t = namespace_from_name(type)) {
      ns.type = *t;
    } else {
      e.fail("type", "unknown namespace type " + quote(type));
    }
  });
  read_id_mappings(r, "uidMappings", lx.uid_mappings);
  read_id_mappings(r, "gidMappings", lx.gid_mappings);
  r.object_map("timeOffsets", [&](const std::string& name, ObjectReader& o) {
    TimeOffset& t = lx.time_offsets[name];
    o.integer("secs", t.secs);
    o.integer("nanosecs", t.nanosecs);
  });
  r.array("devices", [&](ObjectReader& e) {
    Device& d = lx.devices.emplace_back();
    e.str("type", d.type, true);
    e.str("path", d.path, true);
    // The spec requires numbers for every type but "p" (a FIFO has none).
    bool numbered = d.type == "c" || d.type == "b" || d.type == "u";
    e.integer("major", d.major, numbered);
    e.integer("minor", d.minor, numbered);
    e.integer("fileMode", d.file_mode);
    e.integer("uid", d.uid);
    e.integer("gid", d.gid);
  });
  r.str("cgroupsPath", lx.cgroups_path);
  r.object("resources", [&](ObjectReader& o) { read_resources(o, lx.resources.emplace()); });
  r.str("rootfsPropagation", lx.rootfs_propagation);
  r.object("seccomp", [&](ObjectReader& o) { read_seccomp(o, lx.seccomp.emplace()); });
  r.string_map("sysctl", lx.sysctl);
  r.strings("maskedPaths", lx.masked_paths);
  r.strings("readonlyPaths", lx.readonly_paths);
  r.str("mountLabel", lx.mount_label);
  r.object("intelRdt", [&](ObjectReader& o) {
    IntelRdt& rdt = lx.intel_rdt.emplace();
    o.str("closID", rdt.clos_id);
    o.str("l3CacheSchema", rdt.l3_cache_schema);
    o.str("memBwSchema", rdt.mem_bw_schema);
    o.strings("schemata", rdt.schemata);
    o.boolean("enableMonitoring", rdt.enable_monitoring);
    o.boolean("enableCMT", rdt.enable_cmt);
    o.boolean("enableMBM", rdt.enable_mbm);
  });
  r.object("personality", [&](ObjectReader& o) {
    Personality& p = lx.personality.emplace();
    o.str("domain", p.domain, true);
    o.strings("flags", p.flags);
  });
}

void read_hooks(ObjectReader& r, Hooks& hooks) {
  auto list = [&](const char* key, std::vector<Hook>& out) {
    r.array(key, [&](ObjectReader& e) {
      Hook& h = out.emplace_back();
      e.str("path", h.path, true);
      e.strings("args", h.args);
      e.strings("env", h.env);
      e.integer("timeout", h.timeout);
    });
  };
  list("prestart", hooks.prestart);
  list("createRuntime", hooks.create_runtime);
  list("createContainer", hooks.create_container);
  list("startContainer", hooks.start_container);
  list("poststart", hooks.poststart);
  list("poststop", hooks.poststop);
}

void read_windows(ObjectReader& r, Windows& w) {
  r.strings("layerFolders", w.layer_folders);
  r.array("devices", [&](ObjectReader& e) {
    WindowsDevice& d = w.devices.emplace_back();
    e.str("id", d.id, true);
    e.str("idType", d.id_type, true);
  });
  r.object("resources", [&](ObjectReader& o) {
    WindowsResources& res = w.resources.emplace();
    o.object("memory", [&](ObjectReader& m) { m.integer("limit", res.memory.emplace().limit); });
    o.object("cpu", [&](ObjectReader& c) {
      WindowsResources::Cpu& cpu = res.cpu.emplace();
      c.integer("count", cpu.count);
      c.integer("shares", cpu.shares);
      c.integer("maximum", cpu.maximum);
    });
    o.object("storage", [&](ObjectReader& s) {
      WindowsResources::Storage& st = res.storage.emplace();
      s.integer("iops", st.iops);
      s.integer("bps", st.bps);
      s.integer("sandboxSize", st.sandbox_size);
    });
  });
  // runtime-spec types it as any JSON value; docker and the seeds pass (and
  // HCS takes) a string. Anything else is refused here rather than dropped.
  std::string credential_spec;
  r.str("credentialSpec", credential_spec);
  if (!credential_spec.empty()) w.credential_spec = std::move(credential_spec);
  r.boolean("servicing", w.servicing);
  r.boolean("ignoreFlushesDuringBoot", w.ignore_flushes_during_boot);
  r.object("hyperv", [&](ObjectReader& o) { o.str("utilityVMPath", w.hyperv.emplace().utility_vm_path); });
  r.object("network", [&](ObjectReader& o) {
    WindowsNetwork& n = w.network.emplace();
    o.strings("endpointList", n.endpoint_list);
    o.boolean("allowUnqualifiedDNSQuery", n.allow_unqualified_dns_query);
    o.strings("DNSSearchList", n.dns_search_list);
    o.str("networkSharedContainerName", n.network_shared_container_name);
    o.str("networkNamespace", n.network_namespace);
  });
}

void read_spec(ObjectReader& r, Spec& spec) {
  r.str("ociVersion", spec.oci_version, true);
  r.object("process", [&](ObjectReader& o) { read_process(o, spec.process.emplace()); });
  // Read before root: a Hyper-V container has no root (runtime-spec: root
  // "MUST NOT be set" for it), and a process-isolated one's is checked when
  // the spec is translated for HCS.
  r.object("windows", [&](ObjectReader& o) { read_windows(o, spec.windows.emplace()); });
  bool windows = spec.windows.has_value();
  r.object(
      "root",
      [&](ObjectReader& o) {
        o.str("path", spec.root.path, !windows);
        o.boolean("readonly", spec.root.readonly);
      },
      !windows);
  r.str("hostname", spec.hostname);
  r.str("domainname", spec.domainname);
  r.array("mounts", [&](ObjectReader& e) {
    Mount& m = spec.mounts.emplace_back();
    e.str("destination", m.destination, true);
    e.str("type", m.type);
    e.str("source", m.source);
    e.strings("options", m.options);
    read_id_mappings(e, "uidMappings", m.uid_mappings);
    read_id_mappings(e, "gidMappings", m.gid_mappings);
  });
  r.object("hooks", [&](ObjectReader& o) { read_hooks(o, spec.hooks.emplace()); });
  r.string_map("annotations", spec.annotations);
  r.object("linux", [&](ObjectReader& o) { read_linux(o, spec.linux_.emplace()); });
  r.object("vm", [&](ObjectReader& o) {
    spec.other_platforms.push_back("vm");
    Vm& vm = spec.vm.emplace();
    o.object("hypervisor", [&](ObjectReader& h) {
      h.str("path", vm.hypervisor_path, true);
      h.strings("parameters", vm.hypervisor_parameters);
    });
    o.object(
        "kernel",
        [&](ObjectReader& k) {
          k.str("path", vm.kernel_path, true);
          k.strings("parameters", vm.kernel_parameters);
          k.str("initrd", vm.initrd);
        },
        true);
    o.object("image", [&](ObjectReader& i) {
      i.str("path", vm.image_path, true);
      i.str("format", vm.image_format, true);
    });
  });
  if (windows) spec.other_platforms.push_back("windows");
}

// Strings reach execve, mount and open as C strings, where a NUL ("\u0000")
// would silently cut them short: "/bin/sh\u0000x" would run /bin/sh. Any
// string or key with one is refused, naming its JSON path. Iterative, so a
// deeply nested document cannot exhaust the stack.
std::optional<std::string> find_nul(const json& doc) {
  struct Node {
    const json* j;
    size_t parent;
    std::string label;
  };
  std::vector<Node> nodes{{&doc, 0, ""}};
  auto path_of = [&](size_t i) {
    std::vector<const std::string*> parts;
    for (; i != 0; i = nodes[i].parent) parts.push_back(&nodes[i].label);
    std::string out;
    for (auto it = parts.rbegin(); it != parts.rend(); ++it)
      out += (out.empty() || (*it)->starts_with("[") ? "" : ".") + **it;
    return out.empty() ? std::string("(top level)") : out;
  };
  for (size_t i = 0; i < nodes.size(); ++i) {
    const json* j = nodes[i].j;
    if (j->is_string()) {
      if (j->get_ref<const std::string&>().find('\0') != std::string::npos) return path_of(i);
    } else if (j->is_object()) {
      for (auto it = j->begin(); it != j->end(); ++it) {
        nodes.push_back({&it.value(), i, it.key()});
        if (it.key().find('\0') != std::string::npos) return path_of(nodes.size() - 1);
      }
    } else if (j->is_array()) {
      for (size_t k = 0; k < j->size(); ++k) nodes.push_back({&(*j)[k], i, "[" + std::to_string(k) + "]"});
    }
  }
  return std::nullopt;
}

// Parses text as one JSON object and fills a T with read(reader, t).
template <class T, class Read>
Result<T> parse_object(std::string_view text, Read read) {
  json doc;
  try {
    doc = json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    // parse_error, or out_of_range for a number too large for a double
    // ("1e400"). what() is "[json.exception.parse_error.101] parse error at
    // line 1, column 7: ..."; the bracketed id means nothing to a user.
    std::string what = e.what();
    if (size_t pos = what.find("] "); what.starts_with("[json.") && pos != std::string::npos) what.erase(0, pos + 2);
    auto* pe = dynamic_cast<const json::parse_error*>(&e);
    return invalid("invalid JSON: " + what + (pe ? " (byte " + std::to_string(pe->byte) + ")" : ""));
  }
  if (!doc.is_object()) return invalid(std::string("expected a JSON object at the top level, got ") + doc.type_name());
  if (auto at = find_nul(doc)) return invalid(*at + ": contains a NUL character (\\u0000)");
  T out;
  ObjectReader reader(doc, "");
  try {
    read(reader, out);
  } catch (const json::exception& e) {  // not expected: the reader checks types first
    return invalid(std::string("invalid JSON: ") + e.what());
  }
  if (reader.error) return *std::move(reader.error);
  return out;
}

}  // namespace

Result<Spec> parse_spec(std::string_view json_text) {
  auto spec = parse_object<Spec>(json_text, read_spec);
  if (!spec) return spec;
  BERTH_TRY(validate_spec(*spec));
  return spec;
}

Result<Process> parse_process(std::string_view json_text) {
  auto process = parse_object<Process>(json_text, read_process);
  if (!process) return process;
  BERTH_TRY(validate_process(*process, ""));
  return process;
}

Result<Process> parse_windows_process(std::string_view json_text) {
  auto process = parse_object<Process>(json_text, read_process);
  if (!process) return process;
  BERTH_TRY(validate_windows_process(*process, ""));
  return process;
}

Result<Resources> parse_resources(std::string_view json_text) {
  auto resources = parse_object<Resources>(json_text, read_resources);
  if (!resources) return resources;
  BERTH_TRY(validate_resources(*resources, ""));
  return resources;
}

Result<Seccomp> parse_seccomp(std::string_view json_text) {
  auto seccomp = parse_object<Seccomp>(json_text, read_seccomp);
  if (!seccomp) return seccomp;
  BERTH_TRY(validate_seccomp_section(*seccomp));
  return seccomp;
}

}  // namespace berth::oci
