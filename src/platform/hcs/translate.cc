#include "platform/hcs/translate.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <nlohmann/json.hpp>

#include "oci/validate.h"

namespace berth::platform::hcs {

namespace {

// Members in the order hcsshim declares them, so a logged document reads
// like the Go one; tests compare documents as plain (unordered) JSON.
using Json = nlohmann::ordered_json;

constexpr std::string_view kPipePrefix = R"(\\.\pipe\)";

Error at(const std::string& path, const std::string& msg) { return invalid(path + ": " + msg); }

std::string idx(const std::string& path, size_t i) { return path + "[" + std::to_string(i) + "]"; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// C:\x, C:/x, \\server\share, \\?\Volume{...}: what Go's filepath.IsAbs
// calls absolute on Windows.
bool is_windows_abs(std::string_view p) {
  if (p.size() >= 3 && std::isalpha(static_cast<unsigned char>(p[0])) && p[1] == ':' && (p[2] == '\\' || p[2] == '/'))
    return true;
  return p.starts_with(R"(\\)") || p.starts_with("//");
}

std::string win_join(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  if (dir.back() == '\\' || dir.back() == '/') return dir + name;
  return dir + "\\" + name;
}

// The path an annotation-named sandbox's errors start with.
std::string annotation_path(const PlacementRequest& req) {
  return req.id_annotation.empty() ? "annotations" : "annotations[" + oci::quote(req.id_annotation) + "]";
}

Error no_record(const std::string& path, const std::string& what, const std::string& id) {
  return make_error(ErrorKind::kNotFound, path + ": " + what + " " + oci::quote(id) + " does not exist");
}

// Everything translate reads from the spec, checked and resolved once;
// the two documents are written from it.
struct Plan {
  bool hyperv = false;
  std::string root;  // \\?\Volume{GUID}\ with its backslash; empty for Hyper-V
  std::string scratch;
  std::vector<std::string> layers;  // the parent layers, topmost first
  std::vector<std::string> layer_ids;
  std::string uvm_image;  // v1 Hyper-V: the utility VM image folder
  struct Dir {
    std::string host, container;
    bool read_only = false;
  };
  struct Pipe {
    std::string host, name;
  };
  std::vector<Dir> dirs;
  std::vector<Pipe> pipes;
  uint64_t cpu_count = 0, cpu_weight = 0, cpu_maximum = 0;
  uint64_t memory_mb = 0;
  uint64_t iops = 0, bps = 0, sandbox_size = 0;
};

Status plan_storage(const Request& req, Plan& p) {
  const oci::Windows& w = *req.spec->windows;
  if (w.layer_folders.size() < 2)
    return at("windows.layerFolders",
              "at least two layer folders are needed (the image's layers, then the container's scratch), got " +
                  std::to_string(w.layer_folders.size()));
  for (size_t i = 0; i < w.layer_folders.size(); ++i) {
    const std::string& f = w.layer_folders[i];
    if (f.empty()) return at(idx("windows.layerFolders", i), "must not be empty");
    // runhcs takes a relative folder from its working directory, the bundle.
    p.layers.push_back(is_windows_abs(f) || req.bundle.empty() ? f : win_join(req.bundle, f));
  }
  p.scratch = p.layers.back();
  p.layers.pop_back();
  if (!req.layer_id) return make_error(ErrorKind::kInternal, "hcs: translate: no layer id function");
  for (const std::string& layer : p.layers) p.layer_ids.push_back(req.layer_id(layer));

  const oci::Root& root = req.spec->root;
  if (p.hyperv) {
    if (!w.hyperv->utility_vm_path.empty())
      return at("windows.hyperv.utilityVMPath",
                "an explicit utility VM path is not supported: the topmost layer's UtilityVM folder is used");
    if (!root.path.empty())
      return at("root.path", "must be omitted for a Hyper-V container, got " + oci::quote(root.path));
    for (const std::string& layer : p.layers) {
      if (req.has_utility_vm && req.has_utility_vm(layer)) {
        p.uvm_image = win_join(layer, "UtilityVM");
        break;
      }
    }
    if (p.uvm_image.empty())
      return at("windows.layerFolders", "no layer has a utility VM image (a UtilityVM folder) for a Hyper-V container");
  } else {
    if (!is_volume_guid_path(root.path))
      return at("root.path", oci::quote(root.path) +
                                 R"( is not a volume GUID path (\\?\Volume{GUID}\), which process isolation needs)");
    p.root = root.path.back() == '\\' ? root.path : root.path + "\\";
  }
  if (root.readonly) return at("root.readonly", "must not be set for a Windows container");
  return {};
}

Status plan_mounts(const oci::Spec& spec, Plan& p) {
  for (size_t i = 0; i < spec.mounts.size(); ++i) {
    const oci::Mount& m = spec.mounts[i];
    std::string path = idx("mounts", i);
    if (!m.type.empty()) return at(path + ".type", "must be empty for a Windows container, got " + oci::quote(m.type));
    if (lower(m.destination).starts_with(kPipePrefix)) {
      std::string name = m.destination.substr(kPipePrefix.size());
      if (name.empty()) return at(path + ".destination", "names no pipe");
      p.pipes.push_back({m.source, std::move(name)});
      continue;
    }
    bool ro = std::any_of(m.options.begin(), m.options.end(), [](const std::string& o) { return lower(o) == "ro"; });
    p.dirs.push_back({m.source, m.destination, ro});
  }
  return {};
}

Status plan_devices(const Request& req, const Plan& p) {
  const std::vector<oci::WindowsDevice>& devices = req.spec->windows->devices;
  if (devices.empty()) return {};
  if (p.hyperv || req.hosting)
    return at("windows.devices", "device assignment is not supported for Hyper-V containers");
  for (size_t i = 0; i < devices.size(); ++i) {
    const std::string& type = devices[i].id_type;
    if (type != "class" && type != "vpci-class-guid")
      return at(idx("windows.devices", i) + ".idType",
                "device assignment of type " + oci::quote(type) + " is not supported (want class or vpci-class-guid)");
  }
  return {};
}

Status plan_resources(const Request& req, Plan& p, std::vector<std::string>& warnings) {
  const auto& res = req.spec->windows->resources;
  if (!res) return {};
  if (res->cpu) {
    if (res->cpu->count) {
      // Not refused: the same config may move to a bigger host (moby).
      uint64_t have = req.hosting && req.hosting->cpu_count ? req.hosting->cpu_count : req.host_cpu_count;
      p.cpu_count = *res->cpu->count;
      if (p.cpu_count > have) {
        warnings.push_back("windows.resources.cpu.count: " + std::to_string(p.cpu_count) + " is more than the " +
                           (req.hosting ? "utility VM's " : "host's ") + std::to_string(have) + " processors; using " +
                           std::to_string(have));
        p.cpu_count = have;
      }
    }
    p.cpu_weight = res->cpu->shares.value_or(0);
    p.cpu_maximum = res->cpu->maximum.value_or(0);
  }
  if (res->memory && res->memory->limit) {
    // HCS takes whole megabytes; below one the limit would silently vanish.
    uint64_t limit = *res->memory->limit;
    p.memory_mb = limit / 1024 / 1024;
    if (limit > 0 && p.memory_mb == 0)
      return at("windows.resources.memory.limit",
                std::to_string(limit) + " bytes is less than 1 MiB, the least HCS takes");
  }
  if (res->storage) {
    p.iops = res->storage->iops.value_or(0);
    p.bps = res->storage->bps.value_or(0);
    p.sandbox_size = res->storage->sandbox_size.value_or(0);
    // The v2 schema's StorageQoS members are 32-bit.
    constexpr uint64_t kMax = std::numeric_limits<int32_t>::max();
    if (p.iops > kMax)
      return at("windows.resources.storage.iops", "more than HCS takes (" + std::to_string(kMax) + ")");
    if (p.bps > kMax) return at("windows.resources.storage.bps", "more than HCS takes (" + std::to_string(kMax) + ")");
  }
  return {};
}

// Sets key to v when v is not zero or empty: Go's omitempty.
template <class T>
void put(Json& j, const char* key, const T& v) {
  if (v != T{}) j[key] = v;
}

Json v1_document(const Request& req, const Plan& p) {
  const oci::Spec& spec = *req.spec;
  const oci::Windows& w = *spec.windows;
  Json j;
  j["SystemType"] = "Container";
  j["Name"] = req.id;
  put(j, "Owner", req.owner);
  if (!p.root.empty()) j["VolumePath"] = p.root.substr(0, p.root.size() - 1);  // HCS v1 takes it without the '\'
  put(j, "IgnoreFlushesDuringBoot", w.ignore_flushes_during_boot);
  j["LayerFolderPath"] = p.scratch;
  j["Layers"] = Json::array();
  for (size_t i = 0; i < p.layers.size(); ++i) j["Layers"].push_back({{"ID", p.layer_ids[i]}, {"Path", p.layers[i]}});
  put(j, "Credentials", w.credential_spec.value_or(""));
  put(j, "ProcessorCount", p.cpu_count);
  put(j, "ProcessorWeight", p.cpu_weight);
  put(j, "ProcessorMaximum", p.cpu_maximum);
  put(j, "StorageIOPSMaximum", p.iops);
  put(j, "StorageBandwidthMaximum", p.bps);
  put(j, "StorageSandboxSize", p.sandbox_size);
  put(j, "MemoryMaximumInMB", p.memory_mb);
  put(j, "HostName", spec.hostname);
  for (const auto& d : p.dirs)
    j["MappedDirectories"].push_back({{"HostPath", d.host},
                                      {"ContainerPath", d.container},
                                      {"ReadOnly", d.read_only},
                                      {"BandwidthMaximum", 0},
                                      {"IOPSMaximum", 0},
                                      {"CreateInUtilityVM", false}});
  for (const auto& pipe : p.pipes)
    j["MappedPipes"].push_back({{"HostPath", pipe.host}, {"ContainerPipeName", pipe.name}});
  j["HvPartition"] = p.hyperv;
  if (w.network) {
    put(j, "NetworkSharedContainerName", w.network->network_shared_container_name);
    if (!w.network->endpoint_list.empty()) j["EndpointList"] = w.network->endpoint_list;
  }
  if (p.hyperv) j["HvRuntime"] = {{"ImagePath", p.uvm_image}};
  put(j, "Servicing", w.servicing);
  if (w.network) {
    put(j, "AllowUnqualifiedDNSQuery", w.network->allow_unqualified_dns_query);
    std::string search;
    for (const auto& s : w.network->dns_search_list) search += (search.empty() ? "" : ",") + s;
    put(j, "DNSSearchList", search);
  }
  for (const auto& d : w.devices) j["AssignedDevices"].push_back({{"InterfaceClassGuid", d.id}});
  return j;
}

// A host path as the hosting VM sees it; the host's own when not hosted.
Result<std::string> guest_path(const Request& req, const std::string& host_path, const std::string& json_path) {
  if (!req.hosting || !req.hosting->guest_path) return host_path;
  auto g = req.hosting->guest_path(host_path);
  if (!g) return at(json_path, oci::quote(host_path) + " is not shared into utility VM " + oci::quote(req.hosting->id));
  return *g;
}

Result<Json> v2_container(const Request& req, const Plan& p) {
  const oci::Spec& spec = *req.spec;
  const oci::Windows& w = *spec.windows;
  Json c;
  if (!spec.hostname.empty()) c["GuestOs"] = {{"HostName", spec.hostname}};
  Json storage;
  storage["Layers"] = Json::array();
  for (size_t i = 0; i < p.layers.size(); ++i) {
    auto path = guest_path(req, p.layers[i], idx("windows.layerFolders", i));
    if (!path) return std::move(path).error();
    storage["Layers"].push_back({{"Id", p.layer_ids[i]}, {"Path", *path}});
  }
  put(storage, "Path", req.hosting ? req.hosting->root_path : p.root);
  if (p.iops || p.bps) {
    Json qos;
    put(qos, "IopsMaximum", p.iops);
    put(qos, "BandwidthMaximum", p.bps);
    storage["QoS"] = qos;
  }
  c["Storage"] = storage;
  size_t dir = 0;
  for (size_t i = 0; i < spec.mounts.size(); ++i) {
    if (lower(spec.mounts[i].destination).starts_with(kPipePrefix)) continue;
    const Plan::Dir& d = p.dirs[dir++];
    auto host = guest_path(req, d.host, idx("mounts", i) + ".source");
    if (!host) return std::move(host).error();
    Json md{{"HostPath", *host}, {"ContainerPath", d.container}};
    put(md, "ReadOnly", d.read_only);
    c["MappedDirectories"].push_back(md);
  }
  for (const auto& pipe : p.pipes)
    c["MappedPipes"].push_back({{"ContainerPipeName", pipe.name}, {"HostPath", pipe.host}});
  if (p.memory_mb) c["Memory"] = {{"SizeInMB", p.memory_mb}};
  if (p.cpu_count || p.cpu_maximum || p.cpu_weight) {
    Json cpu;
    put(cpu, "Count", p.cpu_count);
    put(cpu, "Maximum", p.cpu_maximum);
    put(cpu, "Weight", p.cpu_weight);
    c["Processor"] = cpu;
  }
  if (w.network) {
    Json net = Json::object();
    put(net, "AllowUnqualifiedDnsQuery", w.network->allow_unqualified_dns_query);
    std::string search;
    for (const auto& s : w.network->dns_search_list) search += (search.empty() ? "" : ",") + s;
    put(net, "DnsSearchList", search);
    put(net, "NetworkSharedContainerName", w.network->network_shared_container_name);
    put(net, "Namespace", req.network_namespace.empty() ? w.network->network_namespace : req.network_namespace);
    c["Networking"] = net;
  }
  for (const auto& d : w.devices) c["AssignedDevices"].push_back({{"Type", "ClassGuid"}, {"InterfaceClassGuid", d.id}});
  return c;
}

}  // namespace

bool is_volume_guid_path(std::string_view p) {
  constexpr std::string_view kPrefix = R"(\\?\Volume{)";
  if (!p.starts_with(kPrefix)) return false;
  p.remove_prefix(kPrefix.size());
  for (size_t group : {8, 4, 4, 4, 12}) {
    if (p.size() < group) return false;
    for (size_t i = 0; i < group; ++i)
      if (!std::isxdigit(static_cast<unsigned char>(p[i]))) return false;
    p.remove_prefix(group);
    if (group != 12) {
      if (!p.starts_with('-')) return false;
      p.remove_prefix(1);
    }
  }
  return p == "}" || p == "}\\";
}

Result<Placement> place(const PlacementRequest& req) {
  const oci::Spec& spec = *req.spec;
  Placement out;
  out.vm_isolated = spec.linux_.has_value() || (spec.windows && spec.windows->hyperv);
  out.sandbox_id = req.sandbox_id;
  std::string where = annotation_path(req);
  std::string host_id = req.requested_host;
  std::string host_where = host_id.empty() ? where : "--host";
  if (req.is_sandbox) {
    if (req.sandbox_id != req.id)
      return at(where, "sandbox ID must match ID: " + oci::quote(req.sandbox_id) + " is not the container's id " +
                           oci::quote(req.id));
  } else if (!req.sandbox_id.empty()) {
    auto sandbox = req.lookup ? req.lookup(req.sandbox_id) : std::nullopt;
    if (!sandbox) return no_record(where, "sandbox", req.sandbox_id);
    if (sandbox->sandbox_id != req.sandbox_id)
      return at(where, "container " + oci::quote(req.sandbox_id) + " is not a sandbox");
    if (host_id.empty()) {
      host_id = sandbox->host_id;
    } else if (sandbox->host_id.empty()) {
      return at(where, "sandbox " + oci::quote(req.sandbox_id) + " is not running in a VM host, but host " +
                           oci::quote(host_id) + " was asked for");
    } else if (host_id != sandbox->host_id) {
      return at(where, "sandbox " + oci::quote(req.sandbox_id) + " runs in VM host " + oci::quote(sandbox->host_id) +
                           ", not in the host asked for, " + oci::quote(host_id));
    }
    if (out.vm_isolated && host_id.empty())
      return at(where, "sandbox " + oci::quote(req.sandbox_id) + " is not VM isolated, as a Hyper-V member needs");
  }
  if (!host_id.empty()) {
    auto host = req.lookup ? req.lookup(host_id) : std::nullopt;
    if (!host) return no_record(host_where, "host", host_id);
    if (!host->is_host) return at(host_where, "container " + oci::quote(host_id) + " is not a VM host");
    out.host_id = host_id;
  } else if (out.vm_isolated && (req.is_sandbox || spec.linux_ || req.os_build >= kBuildRS5)) {
    out.host_id = req.id;
    out.new_vm = true;
  }
  return out;
}

Result<Documents> translate(const Request& req) {
  const oci::Spec& spec = *req.spec;
  if (!spec.windows) return at("windows", "required for a Windows container");
  Plan p;
  p.hyperv = spec.windows->hyperv.has_value();
  Documents out;
  BERTH_TRY(plan_storage(req, p));
  BERTH_TRY(plan_mounts(spec, p));
  BERTH_TRY(plan_devices(req, p));
  BERTH_TRY(plan_resources(req, p, out.warnings));
  out.container_config = v1_document(req, p).dump();
  if (p.hyperv && !req.hosting) return out;

  auto container = v2_container(req, p);
  if (!container) return std::move(container).error();
  const Json version{{"Major", 2}, {"Minor", 1}};
  Json doc;
  put(doc, "Owner", req.owner);
  doc["SchemaVersion"] = version;
  if (req.hosting) {
    doc["HostingSystemId"] = req.hosting->id;
    doc["HostedSystem"] = {{"SchemaVersion", version}, {"Container", *container}};
  } else {
    doc["Container"] = *container;
  }
  doc["ShouldTerminateOnLastHandleClosed"] = true;
  if (spec.windows->credential_spec)
    out.warnings.push_back(
        "windows.credentialSpec: in v1 only: v2 needs a Container Credential Guard instance (not made yet)");
  out.compute_system = doc.dump();
  return out;
}

}  // namespace berth::platform::hcs
