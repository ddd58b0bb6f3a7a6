// The shim (`create --shim`, `run -d --shim`): it stays behind as the
// container's parent, copies its output to a log and records how it ended.
#include <signal.h>
#include <unistd.h>

#include <ctime>

#include "harness.h"

namespace berth::test {
namespace {

class Shim : public BerthTest {
 protected:
  void SetUp() override {
    BerthTest::SetUp();
    BERTH_ONLY("--shim is berth's extension (runc has no shim)");
  }
  // The exit record, once the shim has written it.
  nlohmann::json wait_exit(const std::string& id) {
    std::string path = root_ + "/" + id + "/exit.json";
    for (int i = 0; i < 500 && !exists(path); ++i) ::usleep(20000);
    return nlohmann::json::parse(read_text(path), nullptr, false);
  }
  int pid_of(const std::string& id) { return nlohmann::json::parse(berth({"state", id}).out)["pid"]; }
  // The shim is the init's parent.
  int parent_of(int pid) {
    std::string status = read_text("/proc/" + std::to_string(pid) + "/status");
    auto at = status.find("PPid:");
    return at == std::string::npos ? -1 : std::stoi(status.substr(at + 5));
  }
};

TEST_F(Shim, RecordsTheExitCodeAndTimeAndKeepsTheOutput) {
  set_args({"/bin/sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 3"});
  std::string log = tmp_ + "/output.log";
  RunResult c = berth({"create", "--shim", "--shim-log", log, "--bundle", bundle_, "sh1"});
  ASSERT_EQ(c.code, 0) << c.err;
  int init = pid_of("sh1");
  int shim = parent_of(init);
  EXPECT_NE(shim, ::getpid());
  EXPECT_TRUE(pid_alive(shim));
  ASSERT_EQ(berth({"start", "sh1"}).code, 0);
  auto exit = wait_exit("sh1");
  ASSERT_TRUE(exit.is_object());
  EXPECT_EQ(exit["exitCode"], 3);
  EXPECT_EQ(exit["signal"], 0);
  EXPECT_EQ(exit["pid"], init);
  // exitedAt is this minute's.
  std::string at = exit["exitedAt"];
  char now[32];
  std::time_t t = std::time(nullptr);
  std::strftime(now, sizeof now, "%Y-%m-%dT%H:", std::gmtime(&t));
  EXPECT_EQ(at.rfind(now, 0), 0u) << at;
  std::string out = read_text(log);
  EXPECT_NE(out.find("to-stdout"), std::string::npos) << out;
  EXPECT_NE(out.find("to-stderr"), std::string::npos) << out;
  EXPECT_EQ(status_of("sh1"), "stopped");
  for (int i = 0; i < 250 && pid_alive(shim); ++i) ::usleep(20000);
  EXPECT_FALSE(pid_alive(shim));  // its container is gone, so is it
  ASSERT_EQ(berth({"delete", "sh1"}).code, 0);
  EXPECT_FALSE(exists(root_ + "/sh1"));
}

TEST_F(Shim, RunDetachedRecordsAKillBySignal) {
  set_args({"/bin/probe", "sleep"});
  RunResult r = berth({"run", "-d", "--shim", "--bundle", bundle_, "sh2"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(status_of("sh2"), "running");
  // The waiting half is the small berth-shim binary next to berth, not berth.
  char exe[4096] = {};
  int shim = parent_of(pid_of("sh2"));
  ASSERT_GT(::readlink(("/proc/" + std::to_string(shim) + "/exe").c_str(), exe, sizeof exe - 1), 0);
  EXPECT_EQ(std::string(exe), std::string(BERTH_BINARY) + "-shim");
  ASSERT_EQ(berth({"kill", "sh2", "KILL"}).code, 0);
  auto exit = wait_exit("sh2");
  ASSERT_TRUE(exit.is_object());
  EXPECT_EQ(exit["exitCode"], 128 + SIGKILL);
  EXPECT_EQ(exit["signal"], SIGKILL);
  EXPECT_EQ(berth({"run", "--shim", "--bundle", bundle_, "fg"}).code, 1);  // --shim needs -d
}

TEST_F(Shim, AKilledShimLeavesAContainerDeleteStillRemoves) {
  set_args({"/bin/probe", "sleep"});
  auto mounts = mount_points();
  ASSERT_EQ(berth({"run", "-d", "--shim", "--bundle", bundle_, "sh3"}).code, 0);
  int init = pid_of("sh3");
  int shim = parent_of(init);
  ASSERT_EQ(::kill(shim, SIGKILL), 0);
  for (int i = 0; i < 250 && pid_alive(shim); ++i) ::usleep(20000);
  EXPECT_EQ(status_of("sh3"), "running");  // the container does not depend on its shim
  ASSERT_EQ(berth({"delete", "--force", "sh3"}).code, 0);
  EXPECT_FALSE(exists(root_ + "/sh3"));
  EXPECT_FALSE(pid_alive(init));
  EXPECT_EQ(mount_points(), mounts);
}

TEST_F(Shim, AStartUpErrorReachesTheCallerAndLeavesNothing) {
  set_args({"/no/such/program"});
  auto mounts = mount_points();
  RunResult r = berth({"create", "--shim", "--bundle", bundle_, "sh4"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("/no/such/program"), std::string::npos) << r.err;
  EXPECT_FALSE(exists(root_ + "/sh4"));
  EXPECT_EQ(mount_points(), mounts);
}

}  // namespace
}  // namespace berth::test
