// The core lifecycle through the CLI, as podman and containerd drive it.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <thread>

#include "harness.h"

namespace berth::test {
namespace {

using Lifecycle = BerthTest;

TEST_F(Lifecycle, CreateStartKillDelete) {
  set_args({"/bin/probe", "sleep"});
  std::string pid_file = tmp_ + "/init.pid";
  RunResult c = berth({"create", "--bundle", bundle_, "--pid-file", pid_file, "c1"});
  ASSERT_EQ(c.code, 0) << c.err;

  RunResult st = berth({"state", "c1"});
  ASSERT_EQ(st.code, 0) << st.err;
  auto j = nlohmann::json::parse(st.out);
  EXPECT_EQ(j["status"], "created");
  EXPECT_EQ(j["id"], "c1");
  EXPECT_EQ(j["bundle"], bundle_);
  // The spec version the runtime's state complies with (runc 1.1.5: 1.0.2-dev).
  EXPECT_FALSE(j.value("ociVersion", "").empty()) << st.out;
  if (runtime_is_berth()) {
    EXPECT_EQ(j["ociVersion"], "1.2.0");
  }
  EXPECT_TRUE(j.contains("created") && j.contains("rootfs") && j.contains("owner"));
  int pid = j["pid"];
  EXPECT_GT(pid, 0);
  EXPECT_TRUE(pid_alive(pid));
  EXPECT_EQ(read_text(pid_file), std::to_string(pid));

  ASSERT_EQ(berth({"start", "c1"}).code, 0);
  EXPECT_EQ(wait_status("c1", "running"), "running");
  // The parked init became the user's process: same pid, now running the probe.
  EXPECT_EQ(nlohmann::json::parse(berth({"state", "c1"}).out)["pid"], pid);
  EXPECT_NE(read_text("/proc/" + std::to_string(pid) + "/cmdline").find("probe"), std::string::npos);

  // A second start is refused.
  EXPECT_EQ(berth({"start", "c1"}).code, 1);

  ASSERT_EQ(berth({"kill", "c1", "KILL"}).code, 0);
  EXPECT_EQ(wait_status("c1", "stopped"), "stopped");
  EXPECT_EQ(nlohmann::json::parse(berth({"state", "c1"}).out)["pid"], 0);
  EXPECT_EQ(berth({"kill", "c1"}).code, 1);  // not running any more

  ASSERT_EQ(berth({"delete", "c1"}).code, 0);
  EXPECT_FALSE(exists(root_ + "/c1"));
  EXPECT_EQ(berth({"state", "c1"}).code, 1);
  EXPECT_FALSE(pid_alive(pid));
}

TEST_F(Lifecycle, RunReturnsTheContainersExitCode) {
  set_args({"/bin/sh", "-c", "exit 7"});
  EXPECT_EQ(berth({"run", "--bundle", bundle_, "r7"}).code, 7);
  // run deletes the container after it exits.
  EXPECT_FALSE(exists(root_ + "/r7"));
}

TEST_F(Lifecycle, RunKilledBySignalExitsWith128PlusSignal) {
  set_args({"/bin/probe", "sleep"});
  RunResult r;
  std::thread t([&] { r = berth({"run", "--bundle", bundle_, "sig"}); });
  EXPECT_EQ(wait_status("sig", "running"), "running");
  // `run` records the init as running from clone on; kill it once it is the
  // container's program (a kill before that fails the run, exit code 1).
  int pid = nlohmann::json::parse(berth({"state", "sig"}).out)["pid"];
  for (int i = 0; i < 500 && read_text("/proc/" + std::to_string(pid) + "/cmdline").rfind("/bin/probe", 0) != 0; ++i)
    ::usleep(10000);
  EXPECT_EQ(berth({"kill", "sig", "KILL"}).code, 0);
  t.join();
  EXPECT_EQ(r.code, 128 + SIGKILL);
  EXPECT_FALSE(exists(root_ + "/sig"));
}

TEST_F(Lifecycle, RunForwardsSignalsToTheContainer) {
  // pid 1 of a namespace only gets signals it handles: the trap makes TERM count.
  set_args({"/bin/sh", "-c", "trap 'exit 3' TERM; while :; do sleep 0.05; done"});
  RunResult r;
  std::atomic<pid_t> run_pid{0};
  std::thread t([&] { r = berth({"run", "--bundle", bundle_, "fwd"}, 60000, &run_pid); });
  EXPECT_EQ(wait_status("fwd", "running"), "running");
  ::usleep(100000);  // let the shell install its trap
  ::kill(run_pid, SIGTERM);
  t.join();
  EXPECT_EQ(r.code, 3);
}

TEST_F(Lifecycle, RunPassesStdioAndSetsTheProcess) {
  config_["process"]["env"].push_back("GREETING=hello");
  config_["process"]["cwd"] = "/tmp";
  set_args({"/bin/probe", "id", "hostname", "cwd", "pid", "env", "GREETING", "fds", "nnp"});
  RunResult r = berth({"run", "--bundle", bundle_, "io"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto p = parse_probe(r.out);
  EXPECT_EQ(p["uid"], "0");
  EXPECT_EQ(p["hostname"], "berth-test");
  EXPECT_EQ(p["cwd"], "/tmp");
  EXPECT_EQ(p["pid"], "1");  // a new pid namespace
  EXPECT_EQ(p["env.GREETING"], "hello");
  EXPECT_EQ(p["nnp"], "1");
  // Only stdio: no fd of berth's reaches the container.
  EXPECT_EQ(p["fds"].find("3:"), std::string::npos) << p["fds"];
}

TEST_F(Lifecycle, ArgsAreFoundThroughThePathInsideTheContainer) {
  set_args({"probe", "hostname"});  // /bin/probe via PATH
  RunResult r = berth({"run", "--bundle", bundle_, "path"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(parse_probe(r.out)["hostname"], "berth-test");
}

TEST_F(Lifecycle, RunKeepLeavesTheStoppedContainer) {
  set_args({"/bin/sh", "-c", "exit 3"});
  EXPECT_EQ(berth({"run", "--keep", "-no-subreaper", "--bundle", bundle_, "kept"}).code, 3);
  EXPECT_EQ(status_of("kept"), "stopped");
  EXPECT_EQ(berth({"delete", "kept"}).code, 0);
  EXPECT_FALSE(exists(root_ + "/kept"));
}

TEST_F(Lifecycle, UserAndGroupsApply) {
  config_["process"]["user"] = {{"uid", 1000}, {"gid", 1000}, {"additionalGids", {10, 20}}};
  set_args({"/bin/probe", "id"});
  RunResult r = berth({"run", "--bundle", bundle_, "user"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto p = parse_probe(r.out);
  EXPECT_EQ(p["uid"], "1000");
  EXPECT_EQ(p["gid"], "1000");
  EXPECT_EQ(p["groups"], "10,20");
}

TEST_F(Lifecycle, SecondCreateWithTheSameIdFailsAndLeavesTheFirst) {
  set_args({"/bin/probe", "sleep"});
  ASSERT_EQ(berth({"create", "--bundle", bundle_, "dup"}).code, 0);
  int pid = nlohmann::json::parse(berth({"state", "dup"}).out)["pid"];
  RunResult again = berth({"create", "--bundle", bundle_, "dup"});
  EXPECT_EQ(again.code, 1);
  EXPECT_NE(again.err.find("already exists"), std::string::npos) << again.err;
  EXPECT_EQ(status_of("dup"), "created");
  EXPECT_EQ(nlohmann::json::parse(berth({"state", "dup"}).out)["pid"], pid);
  EXPECT_TRUE(pid_alive(pid));
}

TEST_F(Lifecycle, DeleteOfARunningContainerNeedsForce) {
  set_args({"/bin/probe", "sleep"});
  ASSERT_EQ(berth({"run", "--detach", "--bundle", bundle_, "busy"}).code, 0);
  EXPECT_EQ(status_of("busy"), "running");
  int pid = nlohmann::json::parse(berth({"state", "busy"}).out)["pid"];
  EXPECT_EQ(berth({"delete", "busy"}).code, 1);
  EXPECT_EQ(status_of("busy"), "running");
  EXPECT_TRUE(pid_alive(pid));
  EXPECT_EQ(berth({"delete", "--force", "busy"}).code, 0);
  EXPECT_FALSE(exists(root_ + "/busy"));
  EXPECT_FALSE(pid_alive(pid));
  // A forced delete of what is not there is not an error (runc does the same).
  EXPECT_EQ(berth({"delete", "--force", "busy"}).code, 0);
  EXPECT_EQ(berth({"delete", "busy"}).code, 1);
}

TEST_F(Lifecycle, DeleteOfACreatedContainerKillsItsInit) {
  set_args({"/bin/probe", "sleep"});
  ASSERT_EQ(berth({"create", "--bundle", bundle_, "parked"}).code, 0);
  int pid = nlohmann::json::parse(berth({"state", "parked"}).out)["pid"];
  EXPECT_EQ(berth({"delete", "parked"}).code, 0);
  EXPECT_FALSE(pid_alive(pid));
  EXPECT_FALSE(exists(root_ + "/parked"));
}

TEST_F(Lifecycle, TermStopsACreatedContainer) {
  // The parked init is pid 1 of its namespace, which ignores signals it has
  // no handler for; runc's dies of TERM (podman's stop of a created
  // container waits for that before it resorts to KILL).
  set_args({"/bin/probe", "sleep"});
  ASSERT_EQ(berth({"create", "--bundle", bundle_, "term"}).code, 0);
  int pid = nlohmann::json::parse(berth({"state", "term"}).out)["pid"];
  ASSERT_EQ(berth({"kill", "term", "TERM"}).code, 0);
  EXPECT_EQ(wait_status("term", "stopped"), "stopped");
  EXPECT_FALSE(pid_alive(pid));
  EXPECT_NE(berth({"start", "term"}).code, 0);
  EXPECT_EQ(berth({"delete", "term"}).code, 0);
  // A signal whose default is to be ignored leaves it parked.
  ASSERT_EQ(berth({"create", "--bundle", bundle_, "winch"}).code, 0);
  ASSERT_EQ(berth({"kill", "winch", "WINCH"}).code, 0);
  ::usleep(200 * 1000);
  EXPECT_EQ(status_of("winch"), "created");
}

TEST_F(Lifecycle, KillTakesSignalNamesAndNumbers) {
  // The shell exits with 128+N for a signal it traps, so the exit code tells
  // which signal arrived.
  set_args({"/bin/sh", "-c", "trap 'exit 10' USR1; trap 'exit 12' USR2; while :; do sleep 0.05; done"});
  for (const char* sig : {"USR1", "SIGUSR1", "10"}) {
    std::string id = std::string("k") + sig;
    ASSERT_EQ(berth({"run", "-d", "--bundle", bundle_, id}).code, 0);
    ::usleep(100000);  // let the shell install its trap
    ASSERT_EQ(berth({"kill", id, sig}).code, 0);
    EXPECT_EQ(wait_status(id, "stopped"), "stopped") << sig;
    EXPECT_EQ(berth({"delete", id}).code, 0);
  }
  EXPECT_EQ(berth({"kill", "nope", "KILL"}).code, 1);
  set_args({"/bin/probe", "sleep"});
  ASSERT_EQ(berth({"run", "-d", "--bundle", bundle_, "kbad"}).code, 0);
  EXPECT_EQ(berth({"kill", "kbad", "SIGNOPE"}).code, 1);
  EXPECT_EQ(berth({"kill", "--all", "kbad", "9"}).code, 0);
  EXPECT_EQ(wait_status("kbad", "stopped"), "stopped");
}

TEST_F(Lifecycle, ListShowsEveryContainer) {
  set_args({"/bin/probe", "sleep"});
  ASSERT_EQ(berth({"create", "--bundle", bundle_, "la"}).code, 0);
  ASSERT_EQ(berth({"run", "-d", "--bundle", bundle_, "lb"}).code, 0);
  RunResult q = berth({"list", "-q"});
  EXPECT_EQ(q.out, "la\nlb\n");
  auto j = nlohmann::json::parse(berth({"list", "--format", "json"}).out);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["id"], "la");
  EXPECT_EQ(j[0]["status"], "created");
  EXPECT_EQ(j[1]["status"], "running");
  RunResult t = berth({"list"});
  EXPECT_EQ(t.out.rfind("ID", 0), 0u);
  EXPECT_NE(t.out.find("\nla "), std::string::npos);
  EXPECT_NE(t.out.find("running"), std::string::npos);
}

TEST_F(Lifecycle, CreateStartDeleteLeaksNoMount) {
  auto before = mount_points();
  set_args({"/bin/true"});
  ASSERT_EQ(berth({"create", "--bundle", bundle_, "t"}).code, 0);
  ASSERT_EQ(berth({"start", "t"}).code, 0);
  EXPECT_EQ(wait_status("t", "stopped"), "stopped");
  ASSERT_EQ(berth({"delete", "t"}).code, 0);
  EXPECT_EQ(mount_points(), before);
}

TEST_F(Lifecycle, VersionNamesTheSpec) {
  // "<name> version X" and a "spec: " line, as docker info parses runc's.
  RunResult r = run_cmd({runtime(), "--version"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out.rfind(runtime_name() + " version ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("\nspec: "), std::string::npos) << r.out;
  if (runtime_is_berth()) {
    EXPECT_NE(r.out.find("\nspec: 1.2."), std::string::npos);
  }
}

TEST_F(Lifecycle, FeaturesDescribeWhatThisBuildDoes) {
  RunResult r = run_cmd({runtime(), "features"});
  ASSERT_EQ(r.code, 0);
  auto f = nlohmann::json::parse(r.out);
  EXPECT_TRUE(f.contains("ociVersionMin") && f.contains("ociVersionMax")) << r.out;
  EXPECT_EQ(f["hooks"].size(), 6u);
  // Every supported seccomp flag is a known one.
  for (const auto& flag : f["linux"]["seccomp"].value("supportedFlags", nlohmann::json::array())) {
    auto known = f["linux"]["seccomp"]["knownFlags"];
    EXPECT_NE(std::find(known.begin(), known.end(), flag), known.end()) << flag;
  }
  BERTH_ONLY("what berth's build supports (runc 1.1.5: spec 1.0.2-dev, no rro, no time namespace)");
  EXPECT_EQ(f["ociVersionMax"], "1.2.0");
  EXPECT_TRUE(f["linux"]["seccomp"]["enabled"].get<bool>());
  EXPECT_EQ(f["linux"]["namespaces"].size(), 8u);
  EXPECT_TRUE(f["linux"]["cgroup"]["v1"].get<bool>());
  auto opts = f["mountOptions"];
  EXPECT_NE(std::find(opts.begin(), opts.end(), "rro"), opts.end());
  auto actions = f["linux"]["seccomp"]["actions"];
  EXPECT_NE(std::find(actions.begin(), actions.end(), "SCMP_ACT_NOTIFY"), actions.end());
}

TEST_F(Lifecycle, JsonLogCarriesTheError) {
  std::string log = tmp_ + "/log.json";
  RunResult r = run_cmd({runtime(), "--root", root_, "--log", log, "--log-format=json", "state", "ghost"});
  EXPECT_EQ(r.code, 1);
  auto line = nlohmann::json::parse(read_text(log));
  EXPECT_EQ(line["level"], "error");
  EXPECT_TRUE(line.contains("time"));
  // runc's says "container does not exist"; berth names the container.
  if (runtime_is_berth()) {
    EXPECT_NE(line["msg"].get<std::string>().find("ghost"), std::string::npos);
  }
}

}  // namespace
}  // namespace berth::test
