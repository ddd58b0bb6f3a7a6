// Bad input through the CLI: every case fails with exit code 1, an error that
// names the JSON path, file or flag at fault, and nothing left behind (no
// state directory, no mount, no process).
#include <dirent.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <map>

#include "harness.h"

namespace berth::test {
namespace {

using nlohmann::json;

struct BadCase {
  const char* name;
  std::function<void(json&)> mutate;  // applied to the default config
  const char* expect;                 // must appear in stderr
  const char* raw = nullptr;          // config.json text instead of a mutation
};

json& ns(json& c, size_t i) { return c["linux"]["namespaces"][i]; }

const BadCase kCases[] = {
    {"MissingOciVersion", [](json& c) { c.erase("ociVersion"); }, "ociVersion"},
    {"OciVersionNumber", [](json& c) { c["ociVersion"] = 1; }, "ociVersion"},
    {"OciVersionMajor2", [](json& c) { c["ociVersion"] = "2.0.0"; }, "ociVersion"},
    {"MissingRoot", [](json& c) { c.erase("root"); }, "root"},
    {"MissingRootPath", [](json& c) { c["root"].erase("path"); }, "root.path"},
    {"RootfsDoesNotExist", [](json& c) { c["root"]["path"] = "/nonexistent/rootfs"; }, "root.path"},
    {"RootfsIsAFile", [](json& c) { c["root"]["path"] = "/etc/passwd"; }, "root.path"},
    {"MissingProcess", [](json& c) { c.erase("process"); }, "process"},
    {"EmptyArgs", [](json& c) { c["process"]["args"] = json::array(); }, "process.args"},
    {"ArgsNotArray", [](json& c) { c["process"]["args"] = "sh"; }, "process.args"},
    {"ArgNotString",
     [](json& c) {
       c["process"]["args"] = {"sh", 1};
     },
     "process.args[1]"},
    {"RelativeCwd", [](json& c) { c["process"]["cwd"] = "tmp"; }, "process.cwd"},
    {"TerminalString", [](json& c) { c["process"]["terminal"] = "yes"; }, "process.terminal"},
    {"NegativeUid", [](json& c) { c["process"]["user"]["uid"] = -1; }, "process.user.uid"},
    {"FloatUid", [](json& c) { c["process"]["user"]["uid"] = 1.5; }, "process.user.uid"},
    {"HugeGid", [](json& c) { c["process"]["user"]["gid"] = 1ULL << 40; }, "process.user.gid"},
    {"EnvWithoutEquals", [](json& c) { c["process"]["env"].push_back("JUSTKEY"); }, "process.env[2]"},
    {"UnknownRlimit", [](json& c) { c["process"]["rlimits"][0]["type"] = "RLIMIT_FOO"; }, "process.rlimits[0].type"},
    {"RlimitSoftAboveHard", [](json& c) { c["process"]["rlimits"][0]["soft"] = 2048; }, "process.rlimits[0]"},
    {"DuplicateRlimit", [](json& c) { c["process"]["rlimits"].push_back(c["process"]["rlimits"][0]); },
     "process.rlimits[1]"},
    {"OomScoreAdjOutOfRange", [](json& c) { c["process"]["oomScoreAdj"] = 5000; }, "process.oomScoreAdj"},
    {"UnknownNamespaceType", [](json& c) { ns(c, 0)["type"] = "bogus"; }, "linux.namespaces[0].type"},
    {"DuplicateNamespace",
     [](json& c) {
       c["linux"]["namespaces"].push_back({{"type", "pid"}});
     },
     "linux.namespaces[6]"},
    {"NamespacePathNotANamespace", [](json& c) { ns(c, 2)["path"] = "/etc/passwd"; }, "linux.namespaces[2].path"},
    {"NamespacePathWrongType", [](json& c) { ns(c, 2)["path"] = "/proc/self/ns/uts"; }, "linux.namespaces[2].path"},
    {"NamespacePathMissing", [](json& c) { ns(c, 2)["path"] = "/nonexistent/ns"; }, "linux.namespaces[2].path"},
    {"RelativeMountDestination", [](json& c) { c["mounts"][0]["destination"] = "proc"; }, "mounts[0].destination"},
    {"MountsNotArray",
     [](json& c) {
       c["mounts"] = {{"destination", "/x"}};
     },
     "mounts"},
    {"UnknownFilesystemFailsInInit", [](json& c) { c["mounts"][1]["type"] = "nosuchfs"; }, "/dev"},
    {"RelativeHookPath",
     [](json& c) {
       c["hooks"]["prestart"] = {{{"path", "hook.sh"}}};
     },
     "hooks.prestart[0].path"},
    {"BadRootfsPropagation", [](json& c) { c["linux"]["rootfsPropagation"] = "sideways"; }, "linux.rootfsPropagation"},
    {"UidMappingsWithoutUserNamespace",
     [](json& c) {
       c["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 0}, {"size", 1}}};
     },
     "linux.uidMappings"},
    {"BadDeviceType",
     [](json& c) {
       c["linux"]["devices"] = {{{"type", "x"}, {"path", "/dev/x"}, {"major", 1}, {"minor", 1}}};
     },
     "linux.devices[0].type"},
    {"MemoryLimitString", [](json& c) { c["linux"]["resources"]["memory"]["limit"] = "1G"; },
     "linux.resources.memory.limit"},
    {"UnknownSeccompAction",
     [](json& c) {
       c["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_MAYBE"}};
     },
     "linux.seccomp.defaultAction"},
    {"BadPersonality",
     [](json& c) {
       c["linux"]["personality"] = {{"domain", "WINDOWS"}};
     },
     "linux.personality"},
    {"HostnameWithoutUtsNamespace", [](json& c) { c["linux"]["namespaces"].erase(3); }, "hostname"},
    {"ExecutableNotFound", [](json& c) { c["process"]["args"] = {"nope"}; },
     "exec: \"nope\": executable file not found in $PATH"},
    {"CwdIsAFile", [](json& c) { c["process"]["cwd"] = "/etc/passwd"; }, "cwd"},
    {"UnknownSysctl",
     [](json& c) {
       c["linux"]["sysctl"] = {{"net.ipv4.nosuchknob", "1"}};
     },
     "linux.sysctl: \"net.ipv4.nosuchknob\""},
    {"GlobalSysctl",
     [](json& c) {
       c["linux"]["sysctl"] = {{"kernel.nosuchknob", "1"}};
     },
     "linux.sysctl: \"kernel.nosuchknob\""},
    // Parsed but not applied yet: refused, never silently ignored.
    {"SeccompArgIndexTooBig",
     [](json& c) {
       c["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ALLOW"},
                                {"syscalls",
                                 {{{"names", {"mkdir"}},
                                   {"action", "SCMP_ACT_ERRNO"},
                                   {"args", {{{"index", 6}, {"value", 1}, {"op", "SCMP_CMP_EQ"}}}}}}}};
     },
     "linux.seccomp.syscalls[0].args[0].index"},
    {"HookMissingPath",
     [](json& c) {
       c["hooks"]["prestart"] = {{{"args", {"x"}}}};
     },
     "hooks.prestart[0].path"},
    {"AppArmorOnAHostWithoutIt", [](json& c) { c["process"]["apparmorProfile"] = "unconfined"; },
     "process.apparmorProfile"},
    {"IntelRdtNotSupported",
     [](json& c) {
       c["linux"]["intelRdt"] = {{"closID", "x"}};
     },
     "linux.intelRdt"},
    {"UserNamespacePathNotAUserNamespace",
     [](json& c) {
       c["linux"]["namespaces"].push_back({{"type", "user"}, {"path", "/proc/self/ns/net"}});
     },
     "linux.namespaces[6].path"},
    {"SandboxIdNotTheContainers",
     [](json& c) {
       c["annotations"] = {{"io.kubernetes.cri.container-type", "sandbox"}, {"io.kubernetes.cri.sandbox-id", "other"}};
     },
     "annotations[\"io.kubernetes.cri.sandbox-id\"]: sandbox ID must match ID"},
    {"MemberOfAMissingSandbox",
     [](json& c) {
       c["annotations"] = {{"io.kubernetes.cri-o.ContainerType", "container"},
                           {"io.kubernetes.cri-o.SandboxID", "nopod"}};
     },
     "annotations[\"io.kubernetes.cri-o.SandboxID\"]: sandbox \"nopod\" does not exist"},
    {"MemberOfAnInvalidSandboxId",
     [](json& c) {
       c["annotations"] = {{"io.kubernetes.docker.type", "container"}, {"io.kubernetes.sandbox.id", "../etc"}};
     },
     "annotations[\"io.kubernetes.sandbox.id\"]: sandbox invalid container id"},
    {"TruncatedJson", nullptr, "config.json", R"({"ociVersion": "1.2.0", "root": {"pa)"},
    {"TopLevelArray", nullptr, "config.json", "[1, 2, 3]"},
    {"EmptyFile", nullptr, "config.json", ""},
};

// Cases another runtime may accept or word its own way are still bad input
// to berth. runc 1.1.5 runs these (exit 0); berth refuses them.
const std::map<std::string, const char*> kRuncRuns = {
    {"MissingOciVersion", "runc 1.1.5 does not check ociVersion"},
    {"OciVersionMajor2", "runc 1.1.5 does not check ociVersion"},
    {"RelativeMountDestination", "runc 1.1.5 takes a relative mount destination as relative to /"},
    {"UidMappingsWithoutUserNamespace", "runc 1.1.5 ignores uidMappings without a user namespace"},
    {"DuplicateRlimit", "runc 1.1.5 accepts a duplicated rlimit type (the last one wins)"},
    {"BadPersonality", "runc 1.1.5 ignores linux.personality"},
    {"IntelRdtNotSupported", "berth refuses linux.intelRdt (not implemented); runc 1.1.5 ignores a closID"},
    {"SandboxIdNotTheContainers", "sandbox annotations are berth's extension"},
    {"MemberOfAMissingSandbox", "sandbox annotations are berth's extension"},
    {"MemberOfAnInvalidSandboxId", "sandbox annotations are berth's extension"},
};

// gtest prints a parameter's bytes unless told how to name it.
void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

class BadConfig : public BerthTest, public ::testing::WithParamInterface<BadCase> {};

// Processes that carry this test's tag in their environment (inherited from
// berth before a container init execs).
std::vector<int> tagged_processes(const std::string& tag) {
  std::vector<int> out;
  DIR* d = ::opendir("/proc");
  while (struct dirent* e = d ? ::readdir(d) : nullptr) {
    int pid = ::atoi(e->d_name);
    if (pid <= 0 || pid == ::getpid() || !pid_alive(pid)) continue;
    std::string env = read_text("/proc/" + std::to_string(pid) + "/environ");
    if (env.find("BERTH_TEST_TAG=" + tag) != std::string::npos) out.push_back(pid);
  }
  if (d) ::closedir(d);
  return out;
}

TEST_P(BadConfig, FailsCleanly) {
  const BadCase& c = GetParam();
  if (auto it = kRuncRuns.find(c.name); it != kRuncRuns.end()) BERTH_ONLY(it->second);
  if (c.raw != nullptr) {
    std::ofstream(bundle_ + "/config.json") << c.raw;
  } else {
    c.mutate(config_);
    write_config();
  }
  ::setenv("BERTH_TEST_TAG", tmp_.c_str(), 1);
  auto mounts = mount_points();
  for (const char* cmd : {"create", "run"}) {
    RunResult r = berth({cmd, "--bundle", bundle_, "bad"});
    EXPECT_EQ(r.code, 1) << cmd << ": " << r.err;
    // berth's error names the JSON path, file or flag at fault.
    if (runtime_is_berth()) {
      EXPECT_NE(r.err.find(c.expect), std::string::npos) << cmd << ": stderr: " << r.err;
    }
    // One line is berth's promise (runc 1.1.5 adds nsexec's lines and warnings).
    if (runtime_is_berth()) {
      EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "one line: " << r.err;
    } else {
      EXPECT_FALSE(r.err.empty()) << cmd;
    }
    EXPECT_FALSE(exists(root_ + "/bad")) << cmd;
    EXPECT_EQ(mount_points(), mounts) << cmd;
    EXPECT_TRUE(tagged_processes(tmp_).empty()) << cmd;
  }
  ::unsetenv("BERTH_TEST_TAG");
}

INSTANTIATE_TEST_SUITE_P(Table, BadConfig, ::testing::ValuesIn(kCases),
                         [](const auto& p) { return std::string(p.param.name); });

using BadArgs = BerthTest;

TEST_F(BadArgs, InvalidIdsAndFlagsFailCleanly) {
  struct Case {
    std::vector<std::string> args;
    const char* expect;
  };
  const Case cases[] = {
      {{"create", "--bundle", bundle_, "../evil"}, "container id"},
      {{"create", "--bundle", bundle_, "a/b"}, "container id"},
      {{"create", "--bundle", bundle_, "."}, "container id"},
      {{"create", "--bundle", bundle_, std::string(300, 'x')}, "container id"},
      {{"create", "--bundle", bundle_, ""}, "container id"},
      {{"create", "--bundle", bundle_, "--nope", "x"}, "--nope"},
      {{"create", "--bundle", bundle_, "--preserve-fds=lots", "x"}, "--preserve-fds"},
      {{"create", "--bundle", tmp_ + "/nobundle", "x"}, "config.json"},
      {{"create", "--bundle"}, "--bundle"},
      {{"create"}, "create"},
      {{"kill", "x", "SIGNOPE"}, "SIGNOPE"},
      {{"state"}, "state"},
      {{"list", "--format", "yaml"}, "yaml"},
      {{"frobnicate"}, "frobnicate"},
      {{"--log-format", "xml", "list"}, "xml"},
  };
  for (const auto& c : cases) {
    RunResult r = berth(c.args);
    // An unknown command: runc 1.1.5 exits 3 (its flag library's "No help topic").
    if (c.args[0] == "frobnicate" && !runtime_is_berth()) {
      EXPECT_NE(r.code, 0) << c.args[0];
    } else {
      EXPECT_EQ(r.code, 1) << c.args[0];
    }
    if (runtime_is_berth()) {
      EXPECT_NE(r.err.find(c.expect), std::string::npos) << r.err;
    }
  }
  EXPECT_EQ(berth({"list", "-q"}).out, "");
}

}  // namespace
}  // namespace berth::test
