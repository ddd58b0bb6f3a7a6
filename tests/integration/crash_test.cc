// Crash points: berth is SIGKILLed (BERTH_CRASH_AT, src/base/crash.h) at every
// named step of create, start, exec and delete; then `state`, `list` and
// `delete --force` must work and leave nothing behind: no mount, cgroup
// directory, state directory, fifo, socket or process. Points inside the
// container's init (mount phases, pivot_root, its hooks) kill the init there;
// the berth that waits for it must still leave the container removable.
#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "harness.h"
#include "leftovers.h"

namespace berth::test {
namespace {

#ifdef BERTH_CRASH_POINTS

// Which command carries BERTH_CRASH_AT (the container's init inherits it from
// create) and which one is expected to reach the point.
enum class Phase { kCreate, kStart, kExec, kDelete };

struct Point {
  std::string name;
  Phase phase;
  bool env_on_create = false;  // the init reaches it, but only after start
};

// Every v1 hierarchy and the cgroup2 tree, as "key" for crash point names.
std::vector<std::string> cgroup_keys() {
  std::vector<std::string> keys;
  std::istringstream in(read_text("/proc/self/cgroup"));
  std::string line;
  while (std::getline(in, line)) {
    // "N:key:/path"
    auto a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    std::string key = line.substr(a + 1, b - a - 1);
    if (key.empty()) {
      // The cgroup2 tree berth uses only where it is mounted with controllers.
      if (exists("/sys/fs/cgroup/unified/cgroup.controllers") || exists("/sys/fs/cgroup/cgroup.controllers"))
        keys.push_back("unified");
      continue;
    }
    if (key.starts_with("name=")) continue;
    keys.push_back(key);
  }
  return keys;
}

std::vector<Point> all_points() {
  std::vector<Point> p = {
      {"create:state-dir-temp", Phase::kCreate},
      {"create:state-dir", Phase::kCreate},
      {"create:state-write-before", Phase::kCreate},
      {"create:state-write-after", Phase::kCreate},
  };
  for (const auto& key : cgroup_keys()) p.push_back({"create:cgroup:" + key, Phase::kCreate});
  for (const char* name : {"create:cgroup-limits",
                           "create:exec-fifo",
                           "create:clone",
                           "create:pid-write-before",
                           "create:pid-write-after",
                           "create:go",
                           "init:go",
                           "init:propagation",
                           "init:bind-rootfs",
                           "init:mounts",
                           "init:devices",
                           "create:cgroup-join",
                           "init:cgroups",
                           "create:hooks",
                           "hook:hooks.prestart",
                           "hook:hooks.createRuntime",
                           "hook:hooks.createContainer",
                           "init:pivot-root",
                           "init:masked-paths",
                           "init:readonly-paths",
                           "init:root-readonly",
                           "init:ready",
                           "create:ready",
                           "create:pid-file"})
    p.push_back({name, Phase::kCreate});
  p.push_back({"init:started", Phase::kStart, true});
  p.push_back({"hook:hooks.startContainer", Phase::kStart, true});
  for (const char* name : {"start:fifo-write", "start:fifo-unlink", "hook:hooks.poststart"})
    p.push_back({name, Phase::kStart});
  for (const char* name : {"exec:clone", "exec:child-setns", "exec:cgroup-join"}) p.push_back({name, Phase::kExec});
  for (const char* name : {"delete:kill"}) p.push_back({name, Phase::kDelete});
  for (const auto& key : cgroup_keys()) p.push_back({"delete:cgroup:" + key, Phase::kDelete});
  for (const char* name : {"delete:cgroups", "delete:state-dir", "hook:hooks.poststop"})
    p.push_back({name, Phase::kDelete});
  return p;
}

class CrashPoints : public BerthTest {
 protected:
  RunResult with_crash(const std::string& point, std::vector<std::string> args) {
    ::setenv("BERTH_CRASH_AT", point.c_str(), 1);
    RunResult r = berth(std::move(args));
    ::unsetenv("BERTH_CRASH_AT");
    return r;
  }
  // Runs one point and checks that nothing is left after delete --force.
  void walk(const Point& p, const std::string& id);
};

void CrashPoints::walk(const Point& p, const std::string& id) {
  HostSnapshot before = snapshot_host();
  std::string b = bundle_;
  RunResult crashed;
  if (p.phase == Phase::kCreate) {
    crashed = with_crash(p.name, {"create", "--bundle", b, "--pid-file", tmp_ + "/pid", id});
  } else if (p.env_on_create) {
    RunResult c = with_crash(p.name, {"create", "--bundle", b, id});
    ASSERT_EQ(c.code, 0) << p.name << ": " << c.err;
    crashed = berth({"start", id});
  } else {
    RunResult c = berth({"create", "--bundle", b, id});
    ASSERT_EQ(c.code, 0) << p.name << ": " << c.err;
    if (p.phase == Phase::kStart) {
      crashed = with_crash(p.name, {"start", id});
    } else {
      ASSERT_EQ(berth({"start", id}).code, 0) << p.name;
      if (p.phase == Phase::kExec)
        crashed = with_crash(p.name, {"exec", id, "/bin/probe", "id"});
      else
        crashed = with_crash(p.name, {"delete", "--force", id});
    }
  }
  // The point was reached: its name is on stderr (an init after start has
  // no stderr left to write to).
  // init:ready dies after telling create it is ready: create may return
  // before the line is written, and the container must then be stopped.
  if (p.env_on_create || p.name == "init:ready") {
    EXPECT_EQ(wait_status(id, "stopped"), "stopped") << p.name;
  } else {
    EXPECT_NE(crashed.err.find("crash point " + p.name), std::string::npos) << p.name << ": " << crashed.err;
  }
  if (p.name.starts_with("create:") || p.name.starts_with("start:") || p.name.starts_with("delete:") ||
      p.name == "exec:clone" || p.name == "exec:cgroup-join") {
    EXPECT_EQ(crashed.code, 128 + 9) << p.name << ": berth itself was killed";
  }

  // What a client does next: look, then remove.
  RunResult st = berth({"state", id});
  EXPECT_TRUE(st.code == 0 || st.code == 1) << p.name << ": state: " << st.code << " " << st.err;
  if (st.code == 0) {
    auto j = nlohmann::json::parse(st.out, nullptr, false);
    EXPECT_TRUE(j.is_object()) << p.name << ": " << st.out;
  }
  RunResult ls = berth({"list"});
  EXPECT_EQ(ls.code, 0) << p.name << ": list: " << ls.err;
  RunResult del = berth({"delete", "--force", id});
  EXPECT_EQ(del.code, 0) << p.name << ": delete --force: " << del.err;

  std::string left = leftovers(before, root_, tmp_, id);
  EXPECT_EQ(left, "") << p.name << " left:" << left;
}

TEST_F(CrashPoints, EveryPointLeavesNothingBehind) {
  BERTH_ONLY("crash points are berth's BERTH_CRASH_AT test hook");
  // Hooks at every stage, so the points inside them are reached.
  nlohmann::json hook = {{"path", "/bin/true"}};
  for (const char* kind : {"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"})
    config_["hooks"][kind] = nlohmann::json::array({hook});
  config_["process"]["args"] = {"/bin/probe", "sleep", "100"};
  config_["linux"]["resources"] = {{"pids", {{"limit", 100}}}};
  config_["linux"]["sysctl"] = {{"kernel.shmmax", "65536"}};
  write_config();
  ::setenv("BERTH_TEST_TAG", tmp_.c_str(), 1);
  auto points = all_points();
  std::string names;
  for (const auto& p : points) names += " " + p.name;
  std::printf("crash points (%zu):%s\n", points.size(), names.c_str());
  int n = 0;
  for (const auto& p : points) {
    SCOPED_TRACE(p.name);
    walk(p, "crash" + std::to_string(n++));
  }
  ::unsetenv("BERTH_TEST_TAG");
  std::printf("crash points walked: %d\n", n);
}

#else

TEST(CrashPoints, EveryPointLeavesNothingBehind) { GTEST_SKIP() << "berth built without -DBERTH_CRASH_POINTS=ON"; }

#endif

}  // namespace
}  // namespace berth::test
