// Hooks: each kind runs at its point of the lifecycle, in the namespace the
// spec names, with the state on stdin; failures stop create (leaving nothing)
// or only warn, as the spec says.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>

#include "harness.h"

namespace berth::test {
namespace {

class Hooks : public BerthTest {
 protected:
  void SetUp() override {
    BerthTest::SetUp();
    markers_ = tmp_ + "/markers";
    ::mkdir(markers_.c_str(), 0777);
    config_["mounts"].push_back(
        {{"destination", "/markers"}, {"type", "bind"}, {"source", markers_}, {"options", {"rbind", "rw"}}});
  }
  // A hook that appends "<kind> <mnt namespace> <state status>" to the log.
  // in_container: the path resolves inside the container (startContainer).
  nlohmann::json marker(const std::string& kind, bool in_container = false) {
    std::string log = in_container ? "/markers/log" : markers_ + "/log";
    std::string script = "s=$(cat); echo \"" + kind +
                         " $(readlink /proc/self/ns/mnt) ${s#*\\\"status\\\":\\\"}\" | cut -d'\"' -f1 >> " + log;
    return {{"path", "/bin/sh"}, {"args", {"sh", "-c", script}}};
  }
  std::vector<std::vector<std::string>> log_lines() {
    std::vector<std::vector<std::string>> out;
    std::istringstream in(read_text(markers_ + "/log"));
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream f(line);
      std::vector<std::string> fields;
      std::string w;
      while (f >> w) fields.push_back(w);
      out.push_back(fields);
    }
    return out;
  }
  std::string markers_;
};

std::string ns_of(int pid, const char* ns) {
  char buf[128] = {};
  ssize_t n = ::readlink(("/proc/" + std::to_string(pid) + "/ns/" + ns).c_str(), buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, n) : "";
}

TEST_F(Hooks, EachKindRunsWhenAndWhereTheSpecSays) {
  // runc 1.1.5 runs poststart hooks at the end of create, before start
  // (runc#4347; moved to start by runc#5186).
  BERTH_ONLY("runc 1.1.5 runs poststart hooks in create, against the spec");
  config_["hooks"] = {
      {"prestart", {marker("prestart")}},
      {"createRuntime", {marker("createRuntime")}},
      {"createContainer", {marker("createContainer")}},
      {"startContainer", {marker("startContainer", true)}},
      {"poststart", {marker("poststart")}},
      {"poststop", {marker("poststop")}},
  };
  set_args({"/bin/probe", "sleep"});
  ASSERT_EQ(berth({"create", "--bundle", bundle_, "h"}).code, 0);
  int pid = nlohmann::json::parse(berth({"state", "h"}).out)["pid"];
  std::string host_mnt = ns_of(::getpid(), "mnt");
  std::string ctr_mnt = ns_of(pid, "mnt");
  ASSERT_NE(host_mnt, ctr_mnt);
  auto created = log_lines();
  ASSERT_EQ(created.size(), 3u) << read_text(markers_ + "/log");
  ASSERT_EQ(berth({"start", "h"}).code, 0);
  ASSERT_EQ(berth({"kill", "h", "KILL"}).code, 0);
  EXPECT_EQ(wait_status("h", "stopped"), "stopped");
  ASSERT_EQ(berth({"delete", "h"}).code, 0);

  auto lines = log_lines();
  ASSERT_EQ(lines.size(), 6u) << read_text(markers_ + "/log");
  const char* kinds[] = {"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"};
  const bool in_container[] = {false, false, true, true, false, false};
  const char* status[] = {"creating", "creating", "creating", "created", "running", "stopped"};
  for (size_t i = 0; i < 6; ++i) {
    ASSERT_EQ(lines[i].size(), 3u) << i;
    EXPECT_EQ(lines[i][0], kinds[i]);
    EXPECT_EQ(lines[i][1], in_container[i] ? ctr_mnt : host_mnt) << kinds[i];
    EXPECT_EQ(lines[i][2], status[i]) << kinds[i];
  }
}

// docker's prestart hook (libnetwork-setkey) opens /proc/<state.pid>/ns/net.
TEST_F(Hooks, CreatingStateCarriesTheInitPid) {
  std::string script = "s=$(cat); p=${s#*\\\"pid\\\":}; readlink /proc/${p%%,*}/ns/net > " + markers_ + "/";
  config_["hooks"] = {{"prestart", {{{"path", "/bin/sh"}, {"args", {"sh", "-c", script + "prestart"}}}}},
                      {"createRuntime", {{{"path", "/bin/sh"}, {"args", {"sh", "-c", script + "createRuntime"}}}}}};
  set_args({"/bin/probe", "sleep"});
  ASSERT_EQ(berth({"create", "--bundle", bundle_, "hp"}).code, 0);
  int pid = nlohmann::json::parse(berth({"state", "hp"}).out)["pid"];
  std::string net = ns_of(pid, "net");
  ASSERT_NE(net, ns_of(::getpid(), "net"));
  EXPECT_EQ(read_text(markers_ + "/prestart"), net + "\n");
  EXPECT_EQ(read_text(markers_ + "/createRuntime"), net + "\n");
  EXPECT_EQ(berth({"delete", "--force", "hp"}).code, 0);
}

TEST_F(Hooks, AFailingPrestartHookFailsCreateAndLeavesNothing) {
  config_["hooks"] = {{"prestart", {{{"path", "/bin/sh"}, {"args", {"sh", "-c", "echo no way >&2; exit 3"}}}}},
                      {"poststop", {marker("poststop")}}};
  write_config();
  auto mounts = mount_points();
  RunResult r = berth({"create", "--bundle", bundle_, "hf"});
  EXPECT_EQ(r.code, 1);
  if (runtime_is_berth()) {
    EXPECT_NE(r.err.find("hooks.prestart[0]"), std::string::npos) << r.err;
  }
  EXPECT_NE(r.err.find("exit status 3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no way"), std::string::npos) << r.err;
  EXPECT_FALSE(exists(root_ + "/hf"));
  EXPECT_EQ(mount_points(), mounts);
  EXPECT_FALSE(exists("/sys/fs/cgroup/pids/hf"));
  // The lifecycle still reaches delete: poststop ran.
  auto lines = log_lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0][0], "poststop");
}

TEST_F(Hooks, ATimeoutStopsAHangingHook) {
  config_["hooks"] = {{"createRuntime", {{{"path", "/bin/sleep"}, {"args", {"sleep", "30"}}, {"timeout", 1}}}}};
  write_config();
  RunResult r = berth({"run", "--bundle", bundle_, "ht"}, 20000);
  EXPECT_EQ(r.code, 1);
  if (runtime_is_berth()) {
    EXPECT_NE(r.err.find("hooks.createRuntime[0]"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("timed out"), std::string::npos) << r.err;
  }
  EXPECT_FALSE(exists(root_ + "/ht"));
}

TEST_F(Hooks, PoststartAndPoststopFailuresOnlyWarn) {
  // runtime-spec 1.2.0 says warn and go on; runc (every release) fails the
  // run and kills the container, and runtime-spec PR #1262 proposes making
  // that the rule.
  BERTH_ONLY("runc 1.1.5 fails the run when a poststart hook fails");
  config_["hooks"] = {{"poststart", {{{"path", "/bin/false"}}}}, {"poststop", {{{"path", "/bin/false"}}}}};
  set_args({"/bin/sh", "-c", "exit 4"});
  RunResult r = berth({"run", "--bundle", bundle_, "hw"});
  EXPECT_EQ(r.code, 4) << r.err;
  EXPECT_NE(r.err.find("hooks.poststart[0]"), std::string::npos) << r.err;  // the warnings
  EXPECT_NE(r.err.find("hooks.poststop[0]"), std::string::npos) << r.err;
  EXPECT_FALSE(exists(root_ + "/hw"));
}

TEST_F(Hooks, AFailingPoststartOrPoststopHookDoesNotStopTheRest) {
  // runtime-spec: on a poststart or poststop failure "the remaining hooks
  // and lifecycle continue" (runtime-tools' poststart_fail, poststop_fail).
  BERTH_ONLY("runc 1.1.5 stops at the first failing hook");
  config_["hooks"] = {{"poststart", {{{"path", "/bin/false"}}, marker("poststart")}},
                      {"poststop", {{{"path", "/bin/false"}}, marker("poststop")}}};
  set_args({"/bin/true"});
  ASSERT_EQ(berth({"create", "--bundle", bundle_, "hf"}).code, 0);
  ASSERT_EQ(berth({"start", "hf"}).code, 0);
  EXPECT_EQ(wait_status("hf", "stopped"), "stopped");
  ASSERT_EQ(berth({"delete", "hf"}).code, 0);
  auto lines = log_lines();
  ASSERT_EQ(lines.size(), 2u) << read_text(markers_ + "/log");
  EXPECT_EQ(lines[0][0], "poststart");
  EXPECT_EQ(lines[1][0], "poststop");
}

TEST_F(Hooks, RuntimeHooksRunInTheBundleAndCreateContainerInTheRootfs) {
  // runc's working directories: hooks a relative path works for.
  auto pwd_hook = [&](const std::string& kind) {
    return nlohmann::json{{"path", "/bin/sh"},
                          {"args", {"sh", "-c", "echo " + kind + " $(pwd) >> " + markers_ + "/log"}}};
  };
  config_["hooks"] = {{"prestart", {pwd_hook("prestart")}},
                      {"createRuntime", {pwd_hook("createRuntime")}},
                      {"createContainer", {pwd_hook("createContainer")}},
                      {"poststart", {pwd_hook("poststart")}}};
  set_args({"/bin/true"});
  ASSERT_EQ(berth({"create", "--bundle", bundle_, "hc"}).code, 0);
  ASSERT_EQ(berth({"start", "hc"}).code, 0);
  ASSERT_EQ(berth({"delete", "--force", "hc"}).code, 0);
  std::map<std::string, std::string> dir;
  for (const auto& l : log_lines())
    if (l.size() == 2) dir[l[0]] = l[1];
  EXPECT_EQ(dir["prestart"], bundle_);
  EXPECT_EQ(dir["createRuntime"], bundle_);
  EXPECT_EQ(dir["createContainer"], config_["root"]["path"].get<std::string>());
  if (runtime_is_berth()) {
    EXPECT_EQ(dir["poststart"], bundle_);  // runc 1.1.5 runs it in create
  }
}

}  // namespace
}  // namespace berth::test
