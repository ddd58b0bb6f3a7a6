// The parser's error paths: a table of broken configs, each of which must fail
// with an error naming the JSON path, and bad process.json / resources.json.
#include <string>

#include <gtest/gtest.h>

#include "oci/parse.h"
#include "oci/parse_test_data.h"

namespace berth::oci {
namespace {

TEST(ParseSpec, SyntaxErrorNamesTheByte) {
  auto r = parse_spec(R"({"ociVersion": "1.2.0",})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_TRUE(r.error().message.starts_with("invalid JSON: parse error at line 1, column 24")) << r.error().message;
  EXPECT_NE(r.error().message.find("(byte 24)"), std::string::npos) << r.error().message;
}

// One broken config: kFullConfig with one JSON Patch operation applied, or,
// when op is "raw", the text in value as it is.
struct BrokenCase {
  const char* name;
  const char* op;
  const char* pointer;
  const char* value;
  const char* want;  // a substring of the error, including the JSON path
};

// A small valid config for raw rows that need literal JSON text.
// clang-format off
#define MINI(process_extra)                                    \
  R"({"ociVersion": "1.2.0", "root": {"path": "r"}, )"         \
  R"("process": {"args": ["a"], "cwd": "/")" process_extra "}}"
// clang-format on

const BrokenCase kBrokenCases[] = {
    // Wrong types.
    {"TerminalString", "replace", "/process/terminal", R"("yes")", "process.terminal: expected boolean, got string"},
    {"NegativeUid", "replace", "/process/user/uid", "-1", "process.user.uid: expected unsigned 32-bit integer, got -1"},
    {"FloatGid", "replace", "/process/user/gid", "1.0", "process.user.gid: expected unsigned 32-bit integer, got 1.0"},
    {"FloatMemoryLimit", "replace", "/linux/resources/memory/limit", "1.5",
     "linux.resources.memory.limit: expected integer, got 1.5"},
    {"StringMemorySwap", "replace", "/linux/resources/memory/swap", R"("1G")",
     "linux.resources.memory.swap: expected integer, got string"},
    {"Uint32Overflow", "replace", "/process/user/uid", "4294967296",
     "process.user.uid: expected unsigned 32-bit integer, got 4294967296"},
    {"Uint64Overflow", "raw", nullptr, MINI(R"(, "rlimits": [{"type": "RLIMIT_CORE", "soft": 1,
     "hard": 18446744073709551616}])"),
     "process.rlimits[0].hard: expected unsigned integer, got 1.8446744073709552e+19"},
    {"ExponentForUint", "raw", nullptr, MINI(R"(, "user": {"uid": 1e3})"),
     "process.user.uid: expected unsigned 32-bit integer, got 1000.0"},
    {"Uint16Overflow", "replace", "/linux/resources/blockIO/weight", "70000",
     "linux.resources.blockIO.weight: expected unsigned 16-bit integer, got 70000"},
    {"Int32Overflow", "replace", "/process/oomScoreAdj", "2147483648",
     "process.oomScoreAdj: expected 32-bit integer, got 2147483648"},
    {"NegativeAdditionalGid", "replace", "/process/user/additionalGids/1", "-6",
     "process.user.additionalGids[1]: expected unsigned 32-bit integer, got -6"},
    {"ArgsNotStrings", "replace", "/process/args/1", "5", "process.args[1]: expected string, got number"},
    {"CapabilitiesNotArray", "replace", "/process/capabilities/bounding", R"("CAP_KILL")",
     "process.capabilities.bounding: expected array, got string"},
    {"MountsNotArray", "replace", "/mounts", "{}", "mounts: expected array, got object"},
    {"RootNotObject", "replace", "/root", R"("rootfs")", "root: expected object, got string"},
    {"LinuxNotObject", "replace", "/linux", "[]", "linux: expected object, got array"},
    {"NamespaceNotObject", "replace", "/linux/namespaces/0", R"("pid")",
     "linux.namespaces[0]: expected object, got string"},
    {"SysctlValueNumber", "replace", "/linux/sysctl/net.ipv4.ip_forward", "1",
     "linux.sysctl.net.ipv4.ip_forward: expected string, got number"},
    {"AnnotationBool", "replace", "/annotations/org.example.key", "true",
     "annotations.org.example.key: expected string, got boolean"},
    {"RdmaString", "replace", "/linux/resources/rdma/mlx5_1/hcaHandles", R"("3")",
     "linux.resources.rdma.mlx5_1.hcaHandles: expected unsigned 32-bit integer, got string"},
    {"TimeOffsetSecsString", "replace", "/linux/timeOffsets/boottime/secs", R"("7")",
     "linux.timeOffsets.boottime.secs: expected integer, got string"},
    {"IntelRdtBoolString", "replace", "/linux/intelRdt/enableCMT", R"("yes")",
     "linux.intelRdt.enableCMT: expected boolean, got string"},
    {"ConsoleHeightNegative", "replace", "/process/consoleSize/height", "-25",
     "process.consoleSize.height: expected unsigned 32-bit integer, got -25"},
    {"HookTimeoutString", "replace", "/hooks/prestart/0/timeout", R"("5")",
     "hooks.prestart[0].timeout: expected 32-bit integer, got string"},
    {"MappingHostIdNegative", "replace", "/linux/uidMappings/0/hostID", "-1",
     "linux.uidMappings[0].hostID: expected unsigned 32-bit integer, got -1"},
    // Missing members.
    {"MissingOciVersion", "remove", "/ociVersion", nullptr, "ociVersion: required field is missing"},
    {"NullOciVersion", "replace", "/ociVersion", "null", "ociVersion: required field is missing"},
    {"MissingRoot", "remove", "/root", nullptr, "root: required field is missing"},
    {"MissingRootPath", "remove", "/root/path", nullptr, "root.path: required field is missing"},
    {"MissingCwd", "remove", "/process/cwd", nullptr, "process.cwd: required field is missing"},
    {"MissingRlimitHard", "remove", "/process/rlimits/0/hard", nullptr,
     "process.rlimits[0].hard: required field is missing"},
    {"MissingMountDestination", "remove", "/mounts/0/destination", nullptr,
     "mounts[0].destination: required field is missing"},
    {"MissingDeviceMajor", "remove", "/linux/devices/0/major", nullptr,
     "linux.devices[0].major: required field is missing"},
    {"MissingDeviceAllow", "remove", "/linux/resources/devices/0/allow", nullptr,
     "linux.resources.devices[0].allow: required field is missing"},
    {"MissingPriorityName", "remove", "/linux/resources/network/priorities/0/name", nullptr,
     "linux.resources.network.priorities[0].name: required field is missing"},
    {"MissingSeccompDefault", "remove", "/linux/seccomp/defaultAction", nullptr,
     "linux.seccomp.defaultAction: required field is missing"},
    // Bad values.
    {"OciVersion2", "replace", "/ociVersion", R"("2.0.0")", R"(ociVersion: unsupported version "2.0.0")"},
    {"EmptyRootPath", "replace", "/root/path", R"("")", "root.path: must not be empty"},
    {"EmptyArgs", "replace", "/process/args", "[]", "process.args: must not be empty"},
    {"RelativeCwd", "replace", "/process/cwd", R"("home")", R"(process.cwd: must be an absolute path, got "home")"},
    {"EnvWithoutEquals", "replace", "/process/env/1", R"("FOO")",
     R"(process.env[1]: "FOO" is not of the form KEY=VALUE)"},
    {"UnknownRlimit", "replace", "/process/rlimits/1/type", R"("RLIMIT_FOO")",
     R"(process.rlimits[1].type: unknown rlimit "RLIMIT_FOO")"},
    {"DuplicateRlimit", "replace", "/process/rlimits/1/type", R"("RLIMIT_NOFILE")",
     R"(process.rlimits[1].type: duplicate rlimit "RLIMIT_NOFILE")"},
    {"SoftAboveHard", "replace", "/process/rlimits/0/soft", "5000",
     "process.rlimits[0].soft: soft limit 5000 is greater than hard limit 4096"},
    {"OomScoreAdjTooBig", "replace", "/process/oomScoreAdj", "1001",
     "process.oomScoreAdj: must be between -1000 and 1000, got 1001"},
    {"BadIoPriorityClass", "replace", "/process/ioPriority/class", R"("IOPRIO_CLASS_FAST")",
     R"(process.ioPriority.class: unknown I/O priority class "IOPRIO_CLASS_FAST")"},
    {"IoPriorityTooBig", "replace", "/process/ioPriority/priority", "8",
     "process.ioPriority.priority: must be between 0 and 7, got 8"},
    {"BadSchedPolicy", "replace", "/process/scheduler/policy", R"("SCHED_FAST")",
     R"(process.scheduler.policy: unknown scheduler policy "SCHED_FAST")"},
    {"BadSchedFlag", "replace", "/process/scheduler/flags/0", R"("SCHED_FLAG_X")",
     R"(process.scheduler.flags[0]: unknown scheduler flag "SCHED_FLAG_X")"},
    {"NiceTooLow", "replace", "/process/scheduler/nice", "-21",
     "process.scheduler.nice: must be between -20 and 19, got -21"},
    {"BadExecCpuAffinity", "replace", "/process/execCPUAffinity/initial", R"("a")",
     R"(process.execCPUAffinity.initial: "a" is not a cpu list)"},
    {"RelativeMountDestination", "replace", "/mounts/1/destination", R"("data")",
     R"(mounts[1].destination: must be an absolute path, got "data")"},
    {"MountMappingSizeZero", "replace", "/mounts/1/uidMappings/0/size", "0",
     "mounts[1].uidMappings[0].size: must be greater than 0"},
    {"RelativeHookPath", "replace", "/hooks/prestart/0/path", R"("pre")",
     R"(hooks.prestart[0].path: must be an absolute path, got "pre")"},
    {"HookTimeoutZero", "replace", "/hooks/poststop/0/timeout", "0",
     "hooks.poststop[0].timeout: must be greater than 0, got 0"},
    {"UnknownNamespace", "replace", "/linux/namespaces/1/type", R"("foo")",
     R"(linux.namespaces[1].type: unknown namespace type "foo")"},
    {"DuplicateNamespace", "add", "/linux/namespaces/-", R"({"type": "pid"})",
     R"(linux.namespaces[8]: duplicate namespace "pid")"},
    {"RelativeNamespacePath", "replace", "/linux/namespaces/1/path", R"("netns")",
     "linux.namespaces[1].path: must be an absolute path"},
    {"MappingsWithoutUserNs", "remove", "/linux/namespaces/5", nullptr, "linux.uidMappings: requires a user namespace"},
    {"NewUserNsWithoutGidMappings", "remove", "/linux/gidMappings", nullptr,
     "linux.gidMappings: must not be empty when creating a user namespace"},
    {"MappingSizeZero", "replace", "/linux/uidMappings/1/size", "0",
     "linux.uidMappings[1].size: must be greater than 0"},
    {"BadTimeOffsetKey", "add", "/linux/timeOffsets/realtime", R"({"secs": 1})",
     R"(linux.timeOffsets.realtime: unknown clock "realtime")"},
    {"TimeOffsetNanosecs", "replace", "/linux/timeOffsets/monotonic/nanosecs", "1000000000",
     "linux.timeOffsets.monotonic.nanosecs: must be less than 1000000000"},
    {"TimeOffsetsWithoutTimeNs", "remove", "/linux/namespaces/7", nullptr,
     "linux.timeOffsets: requires a time namespace"},
    {"BadDeviceType", "replace", "/linux/devices/1/type", R"("x")",
     R"(linux.devices[1].type: unknown device type "x")"},
    {"RelativeDevicePath", "replace", "/linux/devices/1/path", R"("dev/fifo")",
     "linux.devices[1].path: must be an absolute path"},
    {"BadCgroupDeviceType", "replace", "/linux/resources/devices/1/type", R"("u")",
     R"(linux.resources.devices[1].type: unknown device type "u")"},
    {"BadCgroupDeviceAccess", "replace", "/linux/resources/devices/1/access", R"("rwx")",
     R"(linux.resources.devices[1].access: "rwx" is not a subset of "rwm")"},
    {"SwappinessTooBig", "replace", "/linux/resources/memory/swappiness", "101",
     "linux.resources.memory.swappiness: must be at most 100, got 101"},
    {"BadCpuList", "replace", "/linux/resources/cpu/cpus", R"("0-")",
     R"(linux.resources.cpu.cpus: "0-" is not a cpu list)"},
    {"BackwardsCpuRange", "replace", "/linux/resources/cpu/mems", R"("3-1")",
     R"(linux.resources.cpu.mems: "3-1" is not a cpu list)"},
    {"BlkioWeightTooSmall", "replace", "/linux/resources/blockIO/weight", "5",
     "linux.resources.blockIO.weight: must be between 10 and 1000, got 5"},
    {"BlkioDeviceWeightTooBig", "replace", "/linux/resources/blockIO/weightDevice/0/weight", "2000",
     "linux.resources.blockIO.weightDevice[0].weight: must be between 10 and 1000"},
    {"BadHugepageSize", "replace", "/linux/resources/hugepageLimits/0/pageSize", R"("2M")",
     R"(linux.resources.hugepageLimits[0].pageSize: "2M" is not a page size)"},
    {"UnifiedKeyWithSlash", "add", "/linux/resources/unified/a~1b", R"("1")",
     R"(linux.resources.unified: invalid cgroup file name "a/b")"},
    {"BadRootfsPropagation", "replace", "/linux/rootfsPropagation", R"("sideways")",
     R"(linux.rootfsPropagation: unknown propagation "sideways")"},
    {"UnknownSeccompAction", "replace", "/linux/seccomp/syscalls/0/action", R"("SCMP_ACT_MAYBE")",
     R"(linux.seccomp.syscalls[0].action: unknown seccomp action "SCMP_ACT_MAYBE")"},
    {"UnknownSeccompDefault", "replace", "/linux/seccomp/defaultAction", R"("ALLOW")",
     R"(linux.seccomp.defaultAction: unknown seccomp action "ALLOW")"},
    {"SeccompNoNames", "replace", "/linux/seccomp/syscalls/0/names", "[]",
     "linux.seccomp.syscalls[0].names: must not be empty"},
    {"SeccompArgIndex", "replace", "/linux/seccomp/syscalls/1/args/0/index", "6",
     "linux.seccomp.syscalls[1].args[0].index: must be less than 6, got 6"},
    {"SeccompBadOp", "replace", "/linux/seccomp/syscalls/1/args/1/op", R"("SCMP_CMP_XOR")",
     R"(linux.seccomp.syscalls[1].args[1].op: unknown seccomp operator "SCMP_CMP_XOR")"},
    {"SeccompBadArch", "replace", "/linux/seccomp/architectures/1", R"("SCMP_ARCH_VAX")",
     R"(linux.seccomp.architectures[1]: unknown seccomp architecture "SCMP_ARCH_VAX")"},
    {"SeccompBadFlag", "replace", "/linux/seccomp/flags/0", R"("TSYNC")",
     R"(linux.seccomp.flags[0]: unknown seccomp flag "TSYNC")"},
    {"NotifyWithoutListener", "remove", "/linux/seccomp/listenerPath", nullptr,
     "linux.seccomp.listenerPath: required when an action is SCMP_ACT_NOTIFY"},
    {"RelativeListenerPath", "replace", "/linux/seccomp/listenerPath", R"("seccomp.sock")",
     "linux.seccomp.listenerPath: must be an absolute path"},
    {"EmptySysctlKey", "add", "/linux/sysctl/", R"("1")", "linux.sysctl: empty key"},
    {"BadPersonality", "replace", "/linux/personality/domain", R"("LINUX64")",
     R"(linux.personality.domain: unknown domain "LINUX64")"},
    // Not a config at all.
    {"TruncatedJson", "raw", nullptr, R"({"ociVersion": "1.2.0", "root": {"path": )",
     "invalid JSON: parse error at line 1, column 42"},
    {"EmptyInput", "raw", nullptr, "", "invalid JSON: "},
    {"TrailingGarbage", "raw", nullptr, R"({"ociVersion": "1.2.0"} x)", "invalid JSON: "},
    {"TopLevelArray", "raw", nullptr, "[1, 2]", "expected a JSON object at the top level, got array"},
    {"TopLevelString", "raw", nullptr, R"("config")", "expected a JSON object at the top level, got string"},
};
#undef MINI

void PrintTo(const BrokenCase& c, std::ostream* os) { *os << c.name; }

class BrokenConfig : public testing::TestWithParam<BrokenCase> {};

TEST_P(BrokenConfig, FailsNamingThePath) {
  const BrokenCase& c = GetParam();
  std::string text = std::string(c.op) == "raw" ? c.value : patched(c.op, c.pointer, c.value);
  auto r = parse_spec(text);
  ASSERT_FALSE(r) << "accepted: " << text;
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_NE(r.error().message.find(c.want), std::string::npos)
      << "error: " << r.error().message << "\nwant:  " << c.want;
}

INSTANTIATE_TEST_SUITE_P(Table, BrokenConfig, testing::ValuesIn(kBrokenCases),
                         [](const testing::TestParamInfo<BrokenCase>& row) { return std::string(row.param.name); });

TEST(ParseSpec, BrokenTableIsLarge) { EXPECT_GE(std::size(kBrokenCases), 40u); }

TEST(ParseProcess, ErrorsAreRelativeToTheObject) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"cwd": "/"})", "args: must not be empty"},
      {R"({"args": ["a"]})", "cwd: required field is missing"},
      {R"({"args": ["a"], "cwd": "x"})", "cwd: must be an absolute path"},
      {R"({"args": ["a"], "cwd": "/", "user": {"uid": -1}})", "user.uid: expected unsigned 32-bit integer, got -1"},
      {R"({"args": ["a"], "cwd": "/", "rlimits": [{"type": "X", "soft": 1, "hard": 1}]})",
       R"(rlimits[0].type: unknown rlimit "X")"},
      {R"({"args": ["a"], "cwd": "/", "env": ["A=1", "B"]})", R"(env[1]: "B" is not of)"},
      {R"({"args": "a", "cwd": "/"})", "args: expected array, got string"},
      {"[]", "expected a JSON object at the top level, got array"},
      {R"({"args": ["a"], )", "invalid JSON: "},
  };
  for (auto [text, want] : cases) {
    auto r = parse_process(text);
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().message.find(want), 0u) << r.error().message << "\nwant: " << want;
  }
}

TEST(ParseResources, ErrorsAreRelativeToTheObject) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"memory": {"limit": "1G"}})", "memory.limit: expected integer, got string"},
      {R"({"cpu": {"cpus": "0-a"}})", R"(cpu.cpus: "0-a" is not a cpu list)"},
      {R"({"cpu": {"shares": -2}})", "cpu.shares: expected unsigned integer, got -2"},
      {R"({"blockIO": {"weight": 1001}})", "blockIO.weight: must be between 10 and 1000"},
      {R"({"pids": []})", "pids: expected object, got array"},
      {R"({"devices": [{"allow": true, "access": "x"}]})", R"(devices[0].access: "x" is not)"},
      {R"({"hugepageLimits": [{"pageSize": "2MB"}]})", "hugepageLimits[0].limit: required field is missing"},
      {"null", "expected a JSON object at the top level, got null"},
  };
  for (auto [text, want] : cases) {
    auto r = parse_resources(text);
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
    EXPECT_EQ(r.error().message.find(want), 0u) << r.error().message << "\nwant: " << want;
  }
}

}  // namespace
}  // namespace berth::oci
