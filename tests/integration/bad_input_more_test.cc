// More of the bad-input catalogue (bad_input_test.cc has the first part):
// hostile configs (huge, negative, wrong types, 10 MB strings, NULs, deep
// nesting, fifos and devices in place of files, symlinked bundles), exec -p
// process files, flags, and state files edited by hand. Each case must give
// one non-empty line on stderr, the expected exit code, and leave nothing.
#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <map>

#include "harness.h"
#include "leftovers.h"

namespace berth::test {
namespace {

using nlohmann::json;

// One line on stderr (warnings may precede it; the error is the last line).
// That is berth's promise; another runtime need only say something (runc
// 1.1.5 adds nsexec's own lines and quotes a 10 MB value back whole).
bool one_clear_line(const std::string& err) {
  if (!runtime_is_berth()) return !err.empty();
  return err.back() == '\n' && err.find('\n') == err.size() - 1 && err.size() < 64UL * 1024;
}

std::vector<std::string> root_entries(const std::string& root) {
  std::vector<std::string> out;
  DIR* d = ::opendir(root.c_str());
  while (struct dirent* e = d ? ::readdir(d) : nullptr)
    if (e->d_name[0] != '.') out.push_back(e->d_name);
  if (d) ::closedir(d);
  return out;
}

struct ConfigCase {
  const char* name;
  std::function<void(json&, const std::string& tmp)> mutate;
  std::function<void(const std::string& bundle)> raw = nullptr;  // writes config.json itself
};

const std::string k10MB(10 << 20, 'x');

std::string nested(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

const ConfigCase kConfigCases[] = {
    {"TenMegabyteHostname", [](json& c, auto&) { c["hostname"] = k10MB; }},
    {"TenMegabyteArg0", [](json& c, auto&) { c["process"]["args"][0] = "/" + k10MB; }},
    {"TenMegabyteCwd", [](json& c, auto&) { c["process"]["cwd"] = "/" + k10MB; }},
    {"NulInArg0", [](json& c, auto&) { c["process"]["args"][0] = std::string("/bin/probe\0x", 12); }},
    {"NulInEnv", [](json& c, auto&) { c["process"]["env"][0] = std::string("A=b\0c", 5); }},
    {"NulInMountDestination", [](json& c, auto&) { c["mounts"][0]["destination"] = std::string("/proc\0x", 7); }},
    {"NegativeMemoryLimit", [](json& c, auto&) { c["linux"]["resources"]["memory"]["limit"] = -5; }},
    {"NegativeCpuShares", [](json& c, auto&) { c["linux"]["resources"]["cpu"]["shares"] = -1; }},
    {"CpuQuotaString", [](json& c, auto&) { c["linux"]["resources"]["cpu"]["quota"] = "lots"; }},
    {"PidsLimitFloat", [](json& c, auto&) { c["linux"]["resources"]["pids"]["limit"] = 1.5; }},
    {"RlimitHardNegative", [](json& c, auto&) { c["process"]["rlimits"][0]["hard"] = -1; }},
    {"RlimitTypeNumber", [](json& c, auto&) { c["process"]["rlimits"][0]["type"] = 7; }},
    {"ConsoleSizeNegative",
     [](json& c, auto&) {
       c["process"]["consoleSize"] = {{"height", -1}, {"width", 80}};
     }},
    {"UidString", [](json& c, auto&) { c["process"]["user"]["uid"] = "0"; }},
    {"AdditionalGidString", [](json& c, auto&) { c["process"]["user"]["additionalGids"] = {"wheel"}; }},
    {"UmaskHuge", [](json& c, auto&) { c["process"]["user"]["umask"] = 1ULL << 40; }},
    {"CapabilitiesNotObject", [](json& c, auto&) { c["process"]["capabilities"] = {"CAP_KILL"}; }},
    {"BoundingNotArray", [](json& c, auto&) { c["process"]["capabilities"]["bounding"] = "CAP_KILL"; }},
    {"ProcessNull", [](json& c, auto&) { c["process"] = nullptr; }},
    {"LinuxNotObject", [](json& c, auto&) { c["linux"] = "yes"; }},
    {"NamespacesNotArray",
     [](json& c, auto&) {
       c["linux"]["namespaces"] = {{"type", "pid"}};
     }},
    {"NamespaceEntryString", [](json& c, auto&) { c["linux"]["namespaces"][0] = "pid"; }},
    {"NoMountNamespace", [](json& c, auto&) { c["linux"]["namespaces"].erase(4); }},
    {"MountOptionsNotArray", [](json& c, auto&) { c["mounts"][1]["options"] = "nosuid"; }},
    {"BindSourceMissing",
     [](json& c, auto&) {
       c["mounts"].push_back(
           {{"destination", "/mnt"}, {"type", "bind"}, {"source", "/nonexistent/x"}, {"options", {"bind"}}});
     }},
    {"HooksNotArray",
     [](json& c, auto&) {
       c["hooks"]["prestart"] = {{"path", "/bin/true"}};
     }},
    {"HookTimeoutZero",
     [](json& c, auto&) {
       c["hooks"]["prestart"] = {{{"path", "/bin/true"}, {"timeout", 0}}};
     }},
    {"HookFailing",
     [](json& c, auto&) {
       c["hooks"]["createRuntime"] = {{{"path", "/bin/false"}}};
     }},
    {"AnnotationNotString",
     [](json& c, auto&) {
       c["annotations"] = {{"a", 1}};
     }},
    {"SysctlValueNumber",
     [](json& c, auto&) {
       c["linux"]["sysctl"] = {{"kernel.shmmax", 65536}};
     }},
    {"DeviceMajorString",
     [](json& c, auto&) {
       c["linux"]["devices"] = {{{"type", "c"}, {"path", "/dev/x"}, {"major", "one"}, {"minor", 1}}};
     }},
    {"DevicePathRelative",
     [](json& c, auto&) {
       c["linux"]["devices"] = {{{"type", "c"}, {"path", "dev/x"}, {"major", 1}, {"minor", 3}}};
     }},
    {"OciVersionEmpty", [](json& c, auto&) { c["ociVersion"] = ""; }},
    {"RootPathEmpty", [](json& c, auto&) { c["root"]["path"] = ""; }},
    {"RootfsSymlinkToFile",
     [](json& c, const std::string& tmp) {
       (void)::symlink("/etc/passwd", (tmp + "/rootlink").c_str());
       c["root"]["path"] = tmp + "/rootlink";
     }},
    {"InvalidUtf8", nullptr,
     [](const std::string& b) { std::ofstream(b + "/config.json") << "{\"ociVersion\": \"1.2.0\xff\xfe\"}"; }},
    {"DeeplyNested", nullptr,
     [](const std::string& b) {
       std::ofstream(b + "/config.json") << "{\"ociVersion\": \"1.2.0\", \"x\": " << nested(100000) << "}";
     }},
    {"NumberOverflow", nullptr,
     [](const std::string& b) {
       std::ofstream(b + "/config.json") << R"({"ociVersion": "1.2.0", "process": {"user": {"uid": 1e400}}})";
     }},
    {"ConfigIsDirectory", nullptr, [](const std::string& b) { ::mkdir((b + "/config.json").c_str(), 0755); }},
    {"ConfigIsFifo", nullptr, [](const std::string& b) { ::mkfifo((b + "/config.json").c_str(), 0644); }},
    {"ConfigIsDevZero", nullptr,
     [](const std::string& b) { (void)::symlink("/dev/zero", (b + "/config.json").c_str()); }},
    {"ConfigDanglingSymlink", nullptr,
     [](const std::string& b) { (void)::symlink("/nonexistent/config.json", (b + "/config.json").c_str()); }},
    {"ConfigSymlinkLoop", nullptr,
     [](const std::string& b) { (void)::symlink("config.json", (b + "/config.json").c_str()); }},
};

void PrintTo(const ConfigCase& c, std::ostream* os) { *os << c.name; }

// Configs runc 1.1.5 runs (exit 0) or hangs on; berth refuses them.
const std::map<std::string, const char*> kRuncTakes = {
    {"DevicePathRelative", "runc 1.1.5 accepts a relative linux.devices[].path"},
    {"OciVersionEmpty", "runc 1.1.5 does not check ociVersion"},
    {"ConfigIsFifo", "runc 1.1.5 blocks for ever opening a fifo config.json"},
};

class HostileConfig : public BerthTest, public ::testing::WithParamInterface<ConfigCase> {};

TEST_P(HostileConfig, FailsCleanly) {
  const ConfigCase& c = GetParam();
  if (auto it = kRuncTakes.find(c.name); it != kRuncTakes.end()) BERTH_ONLY(it->second);
  ::unlink((bundle_ + "/config.json").c_str());
  if (c.raw) {
    c.raw(bundle_);
  } else {
    c.mutate(config_, tmp_);
    write_config();
  }
  ::setenv("BERTH_TEST_TAG", tmp_.c_str(), 1);
  HostSnapshot before = snapshot_host();
  for (const char* cmd : {"create", "run"}) {
    RunResult r = berth({cmd, "--bundle", bundle_, "hostile"}, 30000);
    EXPECT_EQ(r.code, 1) << cmd << ": " << r.err.substr(0, 300);
    EXPECT_TRUE(one_clear_line(r.err)) << cmd << ": " << r.err.substr(0, 300);
    EXPECT_EQ(leftovers(before, root_, tmp_, "hostile"), "") << cmd;
  }
  ::unsetenv("BERTH_TEST_TAG");
}

INSTANTIATE_TEST_SUITE_P(Table, HostileConfig, ::testing::ValuesIn(kConfigCases),
                         [](const auto& p) { return std::string(p.param.name); });

// A bundle reached through symlinks: a loop and a dangling link fail; a
// working link is only an alias.
TEST_F(BerthTest, SymlinkedBundles) {
  ASSERT_EQ(::symlink((tmp_ + "/loop").c_str(), (tmp_ + "/loop").c_str()), 0);
  ASSERT_EQ(::symlink((tmp_ + "/nowhere").c_str(), (tmp_ + "/dangling").c_str()), 0);
  for (const char* b : {"/loop", "/dangling"}) {
    RunResult r = berth({"create", "--bundle", tmp_ + b, "sym"});
    EXPECT_EQ(r.code, 1) << b << ": " << r.err;
    EXPECT_TRUE(one_clear_line(r.err)) << r.err;
    EXPECT_TRUE(root_entries(root_).empty()) << b;
  }
  ASSERT_EQ(::symlink(bundle_.c_str(), (tmp_ + "/alias").c_str()), 0);
  RunResult ok = berth({"run", "--bundle", tmp_ + "/alias", "sym"});
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_EQ(berth({"delete", "--force", "sym"}).code, 0);
}

// exec -p FILE and exec flags against a running container: each is refused
// (1 for bad input, 255 when berth fails after finding the container, as
// runc), and no process is left in the container. Flags are given with a
// command, not with -p: runc takes a process file as the whole process and
// ignores --user, --cwd and -e beside it.
class BadExec : public BerthTest {};

TEST_F(BadExec, ProcessFilesAndFlagsFailCleanly) {
  set_args({"/bin/probe", "sleep", "100"});
  RunResult started = berth({"run", "-d", "--bundle", bundle_, "ex"});
  ASSERT_EQ(started.code, 0) << started.err;
  std::string p = tmp_ + "/process.json";
  auto write = [&](const std::string& text) {
    ::unlink(p.c_str());
    std::ofstream(p) << text;
  };
  json good = {{"args", {"/bin/probe", "id"}}, {"cwd", "/"}, {"user", {{"uid", 0}, {"gid", 0}}}};
  auto with = [&](const std::function<void(json&)>& f) {
    json j = good;
    f(j);
    return j.dump();
  };
  struct Case {
    const char* name;
    std::function<void()> setup;
    std::vector<std::string> extra;    // flags before the id, with a command instead of -p
    const char* runc_takes = nullptr;  // why runc 1.1.5 runs (or hangs on) it
  };
  auto file = [&](const std::string& text) { return [&, text] { write(text); }; };
  const Case cases[] = {
      {"Truncated", file(R"({"args": ["/bin/probe")"), {}},
      {"Empty", file(""), {}},
      {"TopLevelArray", file("[]"), {}},
      {"ArgsEmpty", file(with([](json& j) { j["args"] = json::array(); })), {}},
      {"ArgsNumber", file(with([](json& j) { j["args"] = 5; })), {}},
      {"CwdRelative", file(with([](json& j) { j["cwd"] = "tmp"; })), {}},
      {"UidNegative", file(with([](json& j) { j["user"]["uid"] = -1; })), {}},
      {"UidHuge", file(with([](json& j) { j["user"]["uid"] = 1ULL << 40; })), {}},
      {"EnvNotArray", file(with([](json& j) { j["env"] = "A=b"; })), {}},
      {"EnvNoEquals", file(with([](json& j) { j["env"] = {"JUSTKEY"}; })), {}},
      {"TerminalString", file(with([](json& j) { j["terminal"] = "no"; })), {}},
      {"CapabilitiesArray", file(with([](json& j) { j["capabilities"] = {"CAP_KILL"}; })), {}},
      {"RlimitUnknown",
       file(with([](json& j) {
         j["rlimits"] = {{{"type", "RLIMIT_X"}, {"hard", 1}, {"soft", 1}}};
       })),
       {}},
      {"OomScoreAdjOutOfRange",
       file(with([](json& j) { j["oomScoreAdj"] = -5000; })),
       {},
       "runc 1.1.5 ignores an exec process's oomScoreAdj"},
      {"NulInArg", file(with([](json& j) { j["args"][0] = std::string("/bin/probe\0x", 12); })), {}},
      {"TenMegabyteEnv", file(with([](json& j) { j["env"] = {k10MB}; })), {}},
      {"NumberOverflow", file(R"({"args": ["/bin/probe"], "user": {"uid": 1e999}})"), {}},
      {"ExecutableMissing", file(with([](json& j) { j["args"] = {"/nope"}; })), {}},
      {"FileMissing", [&] { ::unlink(p.c_str()); }, {}},
      {"FileIsDirectory",
       [&] {
         ::unlink(p.c_str());
         ::mkdir(p.c_str(), 0755);
       },
       {}},
      {"FileIsFifo",
       [&] {
         ::rmdir(p.c_str());
         ::mkfifo(p.c_str(), 0644);
       },
       {},
       "runc 1.1.5 blocks for ever opening a fifo process file"},
      {"FileIsDevZero",
       [&] {
         ::unlink(p.c_str());
         (void)::symlink("/dev/zero", p.c_str());
       },
       {}},
      {"UserNotANumber", file(good.dump()), {"--user", "nobody:x"}},
      {"PreserveFdsNegative", file(good.dump()), {"--preserve-fds=-1"}, "runc 1.1.5 accepts a negative --preserve-fds"},
      {"PreserveFdsHuge", file(good.dump()), {"--preserve-fds=99999999999999"}},
      {"CgroupEmptyPath", file(good.dump()), {"--cgroup", "memory:"}, "runc 1.1.5 accepts an empty --cgroup path"},
      {"CgroupMissing", file(good.dump()), {"--cgroup", "/no/such/sub"}},
      {"CwdFlagRelative", file(good.dump()), {"--cwd", "rel"}},
      {"EnvFlagNoEquals", file(good.dump()), {"-e", "NOEQUALS"}},
      {"ConsoleSocketMissing", file(good.dump()), {"-t", "--console-socket", "/nonexistent/sock"}},
  };
  for (const auto& c : cases) {
    if (c.runc_takes != nullptr && !runtime_is_berth()) {
      std::printf("berth-only case %s: %s\n", c.name, c.runc_takes);
      continue;
    }
    c.setup();
    std::vector<std::string> args = {"exec"};
    if (c.extra.empty()) args.insert(args.end(), {"-p", p});
    args.insert(args.end(), c.extra.begin(), c.extra.end());
    args.push_back("ex");
    if (!c.extra.empty()) args.insert(args.end(), {"/bin/probe", "id"});
    RunResult r = berth(args, 30000);
    EXPECT_TRUE(r.code == 1 || r.code == 255) << c.name << ": exit " << r.code << ": " << r.err.substr(0, 300);
    EXPECT_TRUE(one_clear_line(r.err)) << c.name << ": " << r.err.substr(0, 300);
    RunResult ps = berth({"ps", "--format", "json", "ex"});
    auto pids = json::parse(ps.out, nullptr, false);
    EXPECT_TRUE(pids.is_array() && pids.size() == 1) << c.name << ": processes left: " << ps.out;
    EXPECT_EQ(status_of("ex"), "running") << c.name;
  }
  EXPECT_EQ(berth({"delete", "--force", "ex"}).code, 0);
}

// Flags: each is refused with exit 1 and one line, and makes nothing.
TEST_F(BerthTest, MoreBadFlagsFailCleanly) {
  const std::vector<std::vector<std::string>> cases = {
      {"create", "--bundle", bundle_, "--pid-file", tmp_ + "/no/such/dir/pid", "f1"},
      {"create", "--bundle", bundle_, "--console-socket", tmp_ + "/nosock", "--pid-file", tmp_ + "/no/pid", "f2"},
      {"create", "--bundle", bundle_, "id with spaces"},
      {"create", "--bundle", bundle_, "a/../b"},
      {"create", "--bundle", bundle_, ".."},
      {"create", "--bundle", bundle_, "a\nb"},
      {"create", "--bundle", bundle_, std::string(256, 'a')},
      {"create", "--bundle", bundle_, "--preserve-fds", "-3", "f3"},  // runc 1.1.5 takes it (see below)
      {"kill", "nonexistent", "KILL"},
      {"kill", "nonexistent", "999"},
      {"start", "nonexistent"},
      {"state", "../../etc"},
      {"delete", "nonexistent"},
      {"update", "--memory", "-5", "nonexistent"},
      {"update", "--resources", tmp_ + "/none.json", "nonexistent"},
      {"ps", "--format", "xml", "nonexistent"},
      {"events", "--interval", "-1s", "nonexistent"},
      {"pause", "nonexistent"},
      {"exec", "nonexistent", "/bin/true"},
      {"spec", "--bundle", tmp_ + "/no/such/bundle"},
  };
  for (const auto& args : cases) {
    std::string what = args[0] + " " + args.back();
    if (args.back() == "f3" && !runtime_is_berth()) {
      std::printf("berth-only case %s: runc 1.1.5 accepts a negative --preserve-fds\n", what.c_str());
      continue;
    }
    RunResult r = berth(args, 30000);
    if (args[0] == "exec") {
      EXPECT_TRUE(r.code == 1 || r.code == 255) << what << ": " << r.code << " " << r.err;
    } else {
      EXPECT_EQ(r.code, 1) << what << ": " << r.err;
    }
    EXPECT_TRUE(one_clear_line(r.err)) << what << ": " << r.err;
  }
  EXPECT_TRUE(root_entries(root_).empty());
}

// A state.json edited (or replaced) by hand: state reports it or fails with
// one line, list still lists, kill never signals a process that is not the
// container's, and delete --force removes it.
struct StateCase {
  const char* name;
  std::function<void(const std::string& dir)> write;
};

void put(const std::string& dir, const std::string& text) { std::ofstream(dir + "/state.json") << text; }

std::string state_with(const std::function<void(json&)>& f) {
  json j = {{"id", "hand"},
            {"ociVersion", "1.2.0"},
            {"pid", 0},
            {"pidStart", 0},
            {"bundle", "/nonexistent"},
            {"rootfs", "/nonexistent/rootfs"},
            {"created", "2026-01-01T00:00:00Z"},
            {"cgroups", json::object()}};
  f(j);
  return j.dump();
}

const StateCase kStateCases[] = {
    {"Truncated", [](const std::string& d) { put(d, R"({"id": "hand", "pid": 12)"); }},
    {"Empty", [](const std::string& d) { put(d, ""); }},
    {"TopLevelArray", [](const std::string& d) { put(d, "[1]"); }},
    {"PidNegative", [](const std::string& d) { put(d, state_with([](json& j) { j["pid"] = -1; })); }},
    {"PidHuge", [](const std::string& d) { put(d, state_with([](json& j) { j["pid"] = 1ULL << 40; })); }},
    {"PidString", [](const std::string& d) { put(d, state_with([](json& j) { j["pid"] = "1"; })); }},
    {"PidOneWithoutStartTime", [](const std::string& d) { put(d, state_with([](json& j) { j["pid"] = 1; })); }},
    {"PidOfTheTestWrongStart",
     [](const std::string& d) {
       put(d, state_with([](json& j) {
             j["pid"] = ::getpid();
             j["pidStart"] = 1;
           }));
     }},
    {"CgroupHierarchyRoot",
     [](const std::string& d) {
       put(d, state_with([](json& j) { j["cgroups"] = {{"memory", "/sys/fs/cgroup/memory"}}; }));
     }},
    {"CgroupOutsideCgroupfs",
     [](const std::string& d) { put(d, state_with([](json& j) {
                                      j["cgroups"] = {{"memory", "/etc"}};
                                    })); }},
    {"CgroupDotDot",
     [](const std::string& d) {
       put(d, state_with([](json& j) { j["cgroups"] = {{"memory", "/sys/fs/cgroup/memory/x/../.."}}; }));
     }},
    {"HooksNotArray", [](const std::string& d) { put(d, state_with([](json& j) {
                                                       j["poststop"] = {{"path", 5}};
                                                     })); }},
    {"IdMismatch", [](const std::string& d) { put(d, state_with([](json& j) { j["id"] = "../other"; })); }},
    {"StateIsFifo", [](const std::string& d) { ::mkfifo((d + "/state.json").c_str(), 0600); }},
    {"StateIsDirectory", [](const std::string& d) { ::mkdir((d + "/state.json").c_str(), 0700); }},
    {"StateSymlinkToPasswd", [](const std::string& d) { (void)::symlink("/etc/passwd", (d + "/state.json").c_str()); }},
    {"StateMissing", [](const std::string&) {}},
};

void PrintTo(const StateCase& c, std::ostream* os) { *os << c.name; }

class HandEditedState : public BerthTest, public ::testing::WithParamInterface<StateCase> {};

TEST_P(HandEditedState, IsReportedAndRemovedOrKept) {
  // runc's state.json is another format; runc 1.1.5 also hangs on a fifo
  // there (state, list, kill, delete) and cannot delete a truncated one.
  BERTH_ONLY("the state files are berth's own format");
  const StateCase& c = GetParam();
  std::string dir = root_ + "/hand";
  ASSERT_EQ(::mkdir(root_.c_str(), 0700), 0);
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  c.write(dir);
  HostSnapshot before = snapshot_host();
  RunResult st = berth({"state", "hand"}, 10000);
  EXPECT_TRUE(st.code == 0 || st.code == 1) << st.code << " " << st.err;
  if (st.code == 1) {
    EXPECT_TRUE(one_clear_line(st.err)) << st.err;
  } else {
    EXPECT_TRUE(json::parse(st.out, nullptr, false).is_object()) << st.out;
  }
  EXPECT_EQ(berth({"list"}, 10000).code, 0);
  RunResult k = berth({"kill", "hand", "KILL"}, 10000);
  EXPECT_TRUE(k.code == 0 || k.code == 1) << k.err;
  EXPECT_TRUE(pid_alive(1));  // the test itself is alive too, or this line would not run
  RunResult del = berth({"delete", "--force", "hand"}, 10000);
  if (st.code == 0) {
    EXPECT_EQ(del.code, 0) << del.err;
    EXPECT_FALSE(exists(dir));
  } else {
    // A record berth cannot read may describe a running container: it is
    // kept and listed, never deleted blind (README: a damaged record).
    EXPECT_EQ(del.code, 1) << del.err;
    EXPECT_TRUE(one_clear_line(del.err)) << del.err;
    EXPECT_TRUE(exists(dir));
    EXPECT_NE(berth({"list", "-q"}).out.find("hand"), std::string::npos);
    ASSERT_EQ(run_cmd({"/bin/rm", "-rf", dir}).code, 0);
  }
  EXPECT_EQ(leftovers(before, root_, "none", "hand"), "");
}

INSTANTIATE_TEST_SUITE_P(Table, HandEditedState, ::testing::ValuesIn(kStateCases),
                         [](const auto& p) { return std::string(p.param.name); });

// The catalogue's size across both files (bad_input_test.cc has 49 configs
// and 15 flag cases).
TEST(BadInputCatalogue, HasAtLeastAHundredCases) {
  size_t here = std::size(kConfigCases) + 2 /* symlinked bundles */ + 30 /* exec */ + 20 /* flags */ +
                std::size(kStateCases);
  std::printf("bad input cases: %zu here + 64 in bad_input_test.cc = %zu\n", here, here + 64);
  EXPECT_GE(here + 64, 100u);
}

}  // namespace
}  // namespace berth::test
