#include "oci/parse.h"

#include <sys/resource.h>

#include <limits>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "oci/names.h"
#include "oci/parse_test_data.h"

namespace berth::oci {
namespace {

using nlohmann::json;

TEST(ParseSpec, FullConfigRoundTrips) {
  auto r = parse_spec(kFullConfig);
  ASSERT_TRUE(r) << r.error().message;
  const Spec& s = *r;
  EXPECT_EQ(s.oci_version, "1.2.0");
  EXPECT_EQ(s.root.path, "rootfs");
  EXPECT_TRUE(s.root.readonly);
  EXPECT_EQ(s.hostname, "box");
  EXPECT_EQ(s.domainname, "example.org");
  EXPECT_EQ(s.annotations.at("org.example.key"), "value");

  ASSERT_TRUE(s.process);
  const Process& p = *s.process;
  EXPECT_TRUE(p.terminal);
  ASSERT_TRUE(p.console_size);
  EXPECT_EQ(p.console_size->height, 25u);
  EXPECT_EQ(p.console_size->width, 80u);
  EXPECT_EQ(p.user.uid, 1000u);
  EXPECT_EQ(p.user.gid, 1001u);
  EXPECT_EQ(p.user.umask, 18u);
  EXPECT_EQ(p.user.additional_gids, (std::vector<uint32_t>{5, 6}));
  EXPECT_EQ(p.user.username, "alice");
  EXPECT_EQ(p.args, (std::vector<std::string>{"/bin/sh", "-c", "echo hi"}));
  EXPECT_EQ(p.command_line, "sh -c 'echo hi'");
  EXPECT_EQ(p.env, (std::vector<std::string>{"PATH=/bin", "EMPTY="}));
  EXPECT_EQ(p.cwd, "/home");
  ASSERT_TRUE(p.capabilities);
  EXPECT_EQ(p.capabilities->bounding, std::vector<std::string>{"CAP_KILL"});
  EXPECT_EQ(p.capabilities->effective, std::vector<std::string>{"CAP_CHOWN"});
  EXPECT_EQ(p.capabilities->inheritable, std::vector<std::string>{"CAP_FOWNER"});
  EXPECT_EQ(p.capabilities->permitted, (std::vector<std::string>{"CAP_KILL", "CAP_CHOWN"}));
  EXPECT_EQ(p.capabilities->ambient, std::vector<std::string>{"CAP_NET_RAW"});
  ASSERT_EQ(p.rlimits.size(), 2u);
  EXPECT_EQ(p.rlimits[0].type, "RLIMIT_NOFILE");
  EXPECT_EQ(p.rlimits[0].resource, RLIMIT_NOFILE);
  EXPECT_EQ(p.rlimits[0].soft, 1024u);
  EXPECT_EQ(p.rlimits[0].hard, 4096u);
  EXPECT_EQ(p.rlimits[1].resource, RLIMIT_CORE);
  EXPECT_EQ(p.rlimits[1].hard, std::numeric_limits<uint64_t>::max());
  EXPECT_TRUE(p.no_new_privileges);
  EXPECT_EQ(p.apparmor_profile, "berth-default");
  EXPECT_EQ(p.oom_score_adj, -500);
  EXPECT_EQ(p.selinux_label, "system_u:system_r:container_t:s0");
  ASSERT_TRUE(p.io_priority);
  EXPECT_EQ(p.io_priority->klass, "IOPRIO_CLASS_BE");
  EXPECT_EQ(p.io_priority->priority, 4);
  ASSERT_TRUE(p.scheduler);
  EXPECT_EQ(p.scheduler->policy, "SCHED_DEADLINE");
  EXPECT_EQ(p.scheduler->nice, -5);
  EXPECT_EQ(p.scheduler->priority, 3);
  EXPECT_EQ(p.scheduler->flags, std::vector<std::string>{"SCHED_FLAG_RESET_ON_FORK"});
  EXPECT_EQ(p.scheduler->runtime, 100u);
  EXPECT_EQ(p.scheduler->deadline, 200u);
  EXPECT_EQ(p.scheduler->period, 300u);
  ASSERT_TRUE(p.exec_cpu_affinity);
  EXPECT_EQ(p.exec_cpu_affinity->initial, "0-3,7");
  EXPECT_EQ(p.exec_cpu_affinity->final, "1");

  ASSERT_EQ(s.mounts.size(), 2u);
  EXPECT_EQ(s.mounts[0].destination, "/proc");
  EXPECT_EQ(s.mounts[0].type, "proc");
  EXPECT_EQ(s.mounts[0].source, "proc");
  EXPECT_TRUE(s.mounts[0].options.empty());
  EXPECT_EQ(s.mounts[1].options, (std::vector<std::string>{"rbind", "idmap"}));
  ASSERT_EQ(s.mounts[1].uid_mappings.size(), 1u);
  EXPECT_EQ(s.mounts[1].uid_mappings[0].host_id, 100000u);
  EXPECT_EQ(s.mounts[1].uid_mappings[0].size, 65536u);
  ASSERT_EQ(s.mounts[1].gid_mappings.size(), 1u);
  EXPECT_EQ(s.mounts[1].gid_mappings[0].host_id, 200000u);

  ASSERT_TRUE(s.hooks);
  ASSERT_EQ(s.hooks->prestart.size(), 1u);
  EXPECT_EQ(s.hooks->prestart[0].path, "/usr/bin/pre");
  EXPECT_EQ(s.hooks->prestart[0].args, (std::vector<std::string>{"pre", "x"}));
  EXPECT_EQ(s.hooks->prestart[0].env, std::vector<std::string>{"A=1"});
  EXPECT_EQ(s.hooks->prestart[0].timeout, 5);
  EXPECT_EQ(s.hooks->create_runtime.at(0).path, "/bin/cr");
  EXPECT_EQ(s.hooks->create_container.at(0).path, "/bin/cc");
  EXPECT_EQ(s.hooks->start_container.at(0).path, "/bin/sc");
  EXPECT_EQ(s.hooks->poststart.at(0).path, "/bin/ps");
  EXPECT_FALSE(s.hooks->poststart.at(0).timeout);
  EXPECT_EQ(s.hooks->poststop.at(0).timeout, 1);

  ASSERT_TRUE(s.linux_);
  const Linux& lx = *s.linux_;
  ASSERT_EQ(lx.namespaces.size(), 8u);
  EXPECT_EQ(lx.namespaces[1].type, NamespaceType::kNetwork);
  EXPECT_EQ(lx.namespaces[1].path, "/var/run/netns/x");
  EXPECT_EQ(lx.namespaces[7].type, NamespaceType::kTime);
  ASSERT_NE(lx.find_namespace(NamespaceType::kCgroup), nullptr);
  EXPECT_EQ(lx.find_namespace(NamespaceType::kUser)->path, "");
  ASSERT_EQ(lx.uid_mappings.size(), 2u);
  EXPECT_EQ(lx.uid_mappings[1].container_id, 1u);
  EXPECT_EQ(lx.uid_mappings[1].host_id, 100000u);
  EXPECT_EQ(lx.uid_mappings[1].size, 65536u);
  EXPECT_EQ(lx.gid_mappings.at(0).host_id, 1000u);
  EXPECT_EQ(lx.time_offsets.at("monotonic").secs, -86400);
  EXPECT_EQ(lx.time_offsets.at("monotonic").nanosecs, 500u);
  EXPECT_EQ(lx.time_offsets.at("boottime").secs, 7);
  ASSERT_EQ(lx.devices.size(), 2u);
  EXPECT_EQ(lx.devices[0].type, "c");
  EXPECT_EQ(lx.devices[0].path, "/dev/fuse");
  EXPECT_EQ(lx.devices[0].major, 10);
  EXPECT_EQ(lx.devices[0].minor, 229);
  EXPECT_EQ(lx.devices[0].file_mode, 0666u);
  EXPECT_EQ(lx.devices[0].uid, 0u);
  EXPECT_EQ(lx.devices[0].gid, 5u);
  EXPECT_EQ(lx.devices[1].type, "p");
  EXPECT_FALSE(lx.devices[1].file_mode);
  EXPECT_EQ(lx.cgroups_path, "/berth/box");
  EXPECT_EQ(lx.rootfs_propagation, "rslave");
  EXPECT_EQ(lx.sysctl.at("net.ipv4.ip_forward"), "1");
  EXPECT_EQ(lx.masked_paths, std::vector<std::string>{"/proc/kcore"});
  EXPECT_EQ(lx.readonly_paths, (std::vector<std::string>{"/proc/sys", "/proc/bus"}));
  EXPECT_EQ(lx.mount_label, "system_u:object_r:container_file_t:s0");
  ASSERT_TRUE(lx.intel_rdt);
  EXPECT_EQ(lx.intel_rdt->clos_id, "guaranteed");
  EXPECT_EQ(lx.intel_rdt->l3_cache_schema, "L3:0=7f0");
  EXPECT_EQ(lx.intel_rdt->mem_bw_schema, "MB:0=20");
  EXPECT_EQ(lx.intel_rdt->schemata, std::vector<std::string>{"L2:0=ff"});
  EXPECT_TRUE(lx.intel_rdt->enable_monitoring);
  EXPECT_TRUE(lx.intel_rdt->enable_cmt);
  EXPECT_FALSE(lx.intel_rdt->enable_mbm);
  ASSERT_TRUE(lx.personality);
  EXPECT_EQ(lx.personality->domain, "LINUX32");
  EXPECT_TRUE(lx.personality->flags.empty());

  ASSERT_TRUE(lx.seccomp);
  const Seccomp& sc = *lx.seccomp;
  EXPECT_EQ(sc.default_action, "SCMP_ACT_ERRNO");
  EXPECT_EQ(sc.default_errno_ret, 1u);
  EXPECT_EQ(sc.architectures, (std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"}));
  EXPECT_EQ(sc.flags, std::vector<std::string>{"SECCOMP_FILTER_FLAG_LOG"});
  EXPECT_EQ(sc.listener_path, "/run/seccomp.sock");
  EXPECT_EQ(sc.listener_metadata, "meta");
  ASSERT_EQ(sc.syscalls.size(), 3u);
  EXPECT_EQ(sc.syscalls[0].names, (std::vector<std::string>{"read", "write"}));
  EXPECT_FALSE(sc.syscalls[0].errno_ret);
  EXPECT_EQ(sc.syscalls[1].errno_ret, 38u);
  ASSERT_EQ(sc.syscalls[1].args.size(), 2u);
  EXPECT_EQ(sc.syscalls[1].args[1].index, 1u);
  EXPECT_EQ(sc.syscalls[1].args[1].value, 255u);
  EXPECT_EQ(sc.syscalls[1].args[1].value_two, 8u);
  EXPECT_EQ(sc.syscalls[1].args[1].op, "SCMP_CMP_MASKED_EQ");
  EXPECT_EQ(sc.syscalls[2].action, "SCMP_ACT_NOTIFY");

  ASSERT_TRUE(lx.resources);
  const Resources& res = *lx.resources;
  ASSERT_EQ(res.devices.size(), 2u);
  EXPECT_FALSE(res.devices[0].allow);
  EXPECT_EQ(res.devices[0].type, "");
  EXPECT_FALSE(res.devices[0].major);
  EXPECT_EQ(res.devices[0].access, "rwm");
  EXPECT_TRUE(res.devices[1].allow);
  EXPECT_EQ(res.devices[1].major, 10);
  EXPECT_EQ(res.devices[1].minor, 229);
  ASSERT_TRUE(res.memory);
  EXPECT_EQ(res.memory->limit, 536870912);
  EXPECT_EQ(res.memory->reservation, 268435456);
  EXPECT_EQ(res.memory->swap, -1);
  EXPECT_EQ(res.memory->kernel, 0);
  EXPECT_EQ(res.memory->kernel_tcp, 1024);
  EXPECT_EQ(res.memory->swappiness, 60u);
  EXPECT_EQ(res.memory->disable_oom_killer, true);
  EXPECT_EQ(res.memory->use_hierarchy, false);
  EXPECT_EQ(res.memory->check_before_update, true);
  ASSERT_TRUE(res.cpu);
  EXPECT_EQ(res.cpu->shares, 1024u);
  EXPECT_EQ(res.cpu->quota, 50000);
  EXPECT_EQ(res.cpu->burst, 10000u);
  EXPECT_EQ(res.cpu->period, 100000u);
  EXPECT_EQ(res.cpu->realtime_runtime, 950000);
  EXPECT_EQ(res.cpu->realtime_period, 1000000u);
  EXPECT_EQ(res.cpu->cpus, "0-1");
  EXPECT_EQ(res.cpu->mems, "0");
  EXPECT_EQ(res.cpu->idle, 1);
  ASSERT_TRUE(res.pids);
  EXPECT_EQ(res.pids->limit, 100);
  ASSERT_TRUE(res.block_io);
  EXPECT_EQ(res.block_io->weight, 500);
  EXPECT_EQ(res.block_io->leaf_weight, 300);
  ASSERT_EQ(res.block_io->weight_device.size(), 1u);
  EXPECT_EQ(res.block_io->weight_device[0].major, 8);
  EXPECT_EQ(res.block_io->weight_device[0].weight, 600);
  EXPECT_EQ(res.block_io->weight_device[0].leaf_weight, 0);
  EXPECT_EQ(res.block_io->throttle_read_bps_device.at(0).rate, 1048576u);
  EXPECT_EQ(res.block_io->throttle_write_bps_device.at(0).minor, 16);
  EXPECT_EQ(res.block_io->throttle_read_iops_device.at(0).rate, 100u);
  EXPECT_EQ(res.block_io->throttle_write_iops_device.at(0).rate, 200u);
  ASSERT_EQ(res.hugepage_limits.size(), 2u);
  EXPECT_EQ(res.hugepage_limits[0].page_size, "2MB");
  EXPECT_EQ(res.hugepage_limits[0].limit, 209715200u);
  ASSERT_TRUE(res.network);
  EXPECT_EQ(res.network->class_id, 1048577u);
  ASSERT_EQ(res.network->priorities.size(), 1u);
  EXPECT_EQ(res.network->priorities[0].name, "eth0");
  EXPECT_EQ(res.network->priorities[0].priority, 5u);
  EXPECT_EQ(res.rdma.at("mlx5_1").hca_handles, 3u);
  EXPECT_EQ(res.rdma.at("mlx5_1").hca_objects, 10000u);
  EXPECT_EQ(res.unified.at("io.weight"), "default 100");
}

TEST(ParseSpec, MinimalConfigLeavesDefaults) {
  auto r = parse_spec(R"({"ociVersion": "1.0.2-dev", "root": {"path": "rootfs"}})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->process);
  EXPECT_FALSE(r->root.readonly);
  EXPECT_FALSE(r->hooks);
  EXPECT_FALSE(r->linux_);
  EXPECT_TRUE(r->mounts.empty());
}

TEST(ParseSpec, DefaultSpecParses) {
  auto r = parse_spec(default_spec_json(false, 0, 0));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->oci_version, "1.2.0");
  EXPECT_EQ(r->hostname, "berth");
  EXPECT_EQ(r->process->args, std::vector<std::string>{"sh"});
  EXPECT_EQ(r->process->rlimits.at(0).resource, RLIMIT_NOFILE);
  EXPECT_EQ(r->mounts.size(), 7u);
  ASSERT_TRUE(r->linux_->resources);
  EXPECT_EQ(r->linux_->resources->devices.at(0).access, "rwm");
  EXPECT_NE(r->linux_->find_namespace(NamespaceType::kNetwork), nullptr);
  EXPECT_EQ(r->linux_->find_namespace(NamespaceType::kUser), nullptr);
  EXPECT_EQ(r->linux_->masked_paths.size(), 10u);
}

TEST(ParseSpec, RootlessDefaultSpecParses) {
  auto r = parse_spec(default_spec_json(true, 1000, 1001));
  ASSERT_TRUE(r) << r.error().message;
  const Linux& lx = *r->linux_;
  EXPECT_FALSE(lx.resources);
  EXPECT_EQ(lx.find_namespace(NamespaceType::kNetwork), nullptr);
  EXPECT_NE(lx.find_namespace(NamespaceType::kUser), nullptr);
  ASSERT_EQ(lx.uid_mappings.size(), 1u);
  EXPECT_EQ(lx.uid_mappings[0].host_id, 1000u);
  EXPECT_EQ(lx.uid_mappings[0].size, 1u);
  ASSERT_EQ(lx.gid_mappings.size(), 1u);
  EXPECT_EQ(lx.gid_mappings[0].host_id, 1001u);
  EXPECT_EQ(r->mounts.at(5).type, "none");  // /sys is bind-mounted
}

TEST(DefaultSpec, MatchesRuncLayout) {
  std::string text = default_spec_json(false, 0, 0);
  EXPECT_TRUE(text.starts_with("{\n\t\"ociVersion\": \"1.2.0\",\n\t\"process\": {\n\t\t\"terminal\"")) << text;
  // runc writes rlimits as type, hard, soft: key order is kept, not sorted.
  EXPECT_NE(text.find("\"type\": \"RLIMIT_NOFILE\",\n\t\t\t\t\"hard\": 1024"), std::string::npos);
  EXPECT_NE(text.find("\"gid=5\""), std::string::npos);
  EXPECT_EQ(default_spec_json(true, 7, 8).find("\"gid=5\""), std::string::npos);
}

TEST(ParseSpec, UnknownFieldsAreIgnored) {
  json doc = json::parse(kFullConfig);
  doc["futureField"] = {{"x", 1}};
  doc["windows"] = {{"layerFolders", {"C:\\layers"}}};
  doc["process"]["newThing"] = true;
  doc["linux"]["resources"]["memory"]["someNewKnob"] = "on";
  doc["linux"]["namespaces"][0]["flags"] = 3;
  auto r = parse_spec(doc.dump());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->linux_->resources->memory->limit, 536870912);
}

TEST(ParseSpec, NullCountsAsAbsent) {
  json doc = json::parse(kFullConfig);
  doc["hostname"] = nullptr;
  doc["hooks"] = nullptr;
  doc["process"]["user"]["umask"] = nullptr;
  doc["process"]["capabilities"] = nullptr;
  doc["process"]["rlimits"] = nullptr;
  doc["process"]["terminal"] = nullptr;
  doc["linux"]["resources"]["memory"] = nullptr;
  doc["linux"]["resources"]["cpu"]["quota"] = nullptr;
  auto r = parse_spec(doc.dump());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->hostname, "");
  EXPECT_FALSE(r->hooks);
  EXPECT_FALSE(r->process->user.umask);
  EXPECT_FALSE(r->process->capabilities);
  EXPECT_TRUE(r->process->rlimits.empty());
  EXPECT_FALSE(r->process->terminal);
  EXPECT_FALSE(r->linux_->resources->memory);
  EXPECT_FALSE(r->linux_->resources->cpu->quota);
  EXPECT_EQ(r->linux_->resources->cpu->shares, 1024u);
}

TEST(ParseSpec, AcceptsEdgeValues) {
  for (auto [pointer, value] : std::vector<std::pair<const char*, const char*>>{
           {"/linux/resources/blockIO/weight", "0"},                        // 0 is unset, as in runc
           {"/linux/resources/memory/swappiness", "18446744073709551615"},  // runc's -1
           {"/linux/resources/devices/1/access", R"("")"},                  // empty means rwm
           {"/linux/rootfsPropagation", R"("")"},
           {"/ociVersion", R"("1.0.0-rc5+dev")"},
           {"/process/user/uid", "4294967295"},
           {"/process/env/0", R"("A=")"},
           {"/linux/timeOffsets/monotonic/nanosecs", "999999999"},
       }) {
    auto r = parse_spec(patched("replace", pointer, value));
    EXPECT_TRUE(r) << pointer << " = " << value << ": " << r.error().message;
  }
}

TEST(ParseProcess, Good) {
  auto r = parse_process(R"({
    "terminal": false, "user": {"uid": 1, "gid": 2}, "args": ["/bin/ls", "-l"],
    "env": ["PATH=/bin"], "cwd": "/tmp", "capabilities": {"bounding": ["CAP_KILL"]},
    "rlimits": [{"type": "RLIMIT_NPROC", "soft": 10, "hard": 20}], "noNewPrivileges": true})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->user.uid, 1u);
  EXPECT_EQ(r->user.gid, 2u);
  EXPECT_EQ(r->args, (std::vector<std::string>{"/bin/ls", "-l"}));
  EXPECT_EQ(r->cwd, "/tmp");
  EXPECT_EQ(r->capabilities->bounding, std::vector<std::string>{"CAP_KILL"});
  EXPECT_EQ(r->rlimits.at(0).resource, RLIMIT_NPROC);
  EXPECT_TRUE(r->no_new_privileges);
}

TEST(ParseResources, Good) {
  auto r = parse_resources(R"({"memory": {"limit": 1048576, "swap": -1},
    "cpu": {"quota": -1, "period": 100000, "cpus": "0,2-3"}, "pids": {"limit": 64},
    "blockIO": {"weight": 100}, "unified": {"memory.max": "max"}})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->memory->limit, 1048576);
  EXPECT_EQ(r->memory->swap, -1);
  EXPECT_FALSE(r->memory->reservation);
  EXPECT_EQ(r->cpu->quota, -1);
  EXPECT_EQ(r->cpu->cpus, "0,2-3");
  EXPECT_EQ(r->pids->limit, 64);
  EXPECT_EQ(r->block_io->weight, 100);
  EXPECT_EQ(r->unified.at("memory.max"), "max");

  auto empty = parse_resources("{}");
  ASSERT_TRUE(empty) << empty.error().message;
  EXPECT_FALSE(empty->memory);
  EXPECT_TRUE(empty->devices.empty());
}

TEST(Names, NamespacesRoundTrip) {
  for (const char* name : {"pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"}) {
    auto t = namespace_from_name(name);
    ASSERT_TRUE(t) << name;
    EXPECT_STREQ(namespace_name(*t), name);
  }
  EXPECT_FALSE(namespace_from_name("net"));
  EXPECT_STREQ(namespace_proc_name(NamespaceType::kNetwork), "net");
  EXPECT_STREQ(namespace_proc_name(NamespaceType::kMount), "mnt");
  EXPECT_EQ(namespace_clone_flag(NamespaceType::kTime), 0x80);
  EXPECT_EQ(namespace_clone_flag(NamespaceType::kUser), 0x10000000);
}

TEST(Names, Rlimits) {
  EXPECT_EQ(rlimit_from_name("RLIMIT_NOFILE"), RLIMIT_NOFILE);
  EXPECT_EQ(rlimit_from_name("RLIMIT_RTTIME"), RLIMIT_RTTIME);
  EXPECT_EQ(rlimit_from_name("RLIMIT_AS"), RLIMIT_AS);
  EXPECT_FALSE(rlimit_from_name("RLIMIT_FOO"));
  EXPECT_FALSE(rlimit_from_name("nofile"));
}

}  // namespace
}  // namespace berth::oci
