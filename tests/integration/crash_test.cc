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
  for (const char* name :
       {"create:cgroup-limits", "create:exec-fifo", "create:clone", "create:pid-write-before",
        "create:pid-write-after", "create:go", "init:go", "init:propagation", "init:bind-rootfs",
        "init:mounts", "init:devices", "create:cgroup-join", "init:cgroups", "create:hooks",
        "hook:hooks.prestart", "hook:hooks.createRuntime", "hook:hooks.createContainer",
        "init:pivot-root", "init:masked-paths", "init:readonly-paths", "init:root-readonly",
        "init:ready", "create:ready", "create:pid-file"})
    p.push_back({name, Phase::kCreate});
  p.push_back({"init:started", Phase::kStart, true});
  p.push_back({"hook:hooks.startContainer", Phase::kStart, true});
  for (const char* name : {"start:fifo-write", "start:fifo-unlink", "hook:hooks.poststart"})
    p.push_back({name, Phase::kStart});
  for (const char* name : {"exec:clone", "exec:child-setns", "exec:cgroup-join"})
    p.push_back({name, Phase::kExec});
  for (const char* name : {"delete:kill"}) p.push_back({name, Phase::kDelete});
  for (const auto& key : cgroup_keys()) p.push_back({"delete:cgroup:" + key, Phase::kDelete});
  for (const char* name : {"delete:cgroups", "delete:state-dir", "hook:hooks.poststop"})
    p.push_back({name, Phase::kDelete});
  return p;
}

// Every cgroup directory of every hierarchy, below the mount points.
void walk_dirs(const std::string& dir, int depth, std::set<std::string>& out) {
  if (depth > 12) return;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return;
  while (struct dirent* e = ::readdir(d)) {
    if (e->d_type != DT_DIR || e->d_name[0] == '.') continue;
    std::string sub = dir + "/" + e->d_name;
    out.insert(sub);
    walk_dirs(sub, depth + 1, out);
  }
  ::closedir(d);
}

std::set<std::string> cgroup_dirs() {
  std::set<std::string> out;
  DIR* d = ::opendir("/sys/fs/cgroup");
  while (struct dirent* e = d ? ::readdir(d) : nullptr) {
    if (e->d_name[0] == '.') continue;
    std::string top = std::string("/sys/fs/cgroup/") + e->d_name;
    struct stat sb;
    if (::lstat(top.c_str(), &sb) < 0 || !S_ISDIR(sb.st_mode)) continue;  // cpu -> cpu,cpuacct
    walk_dirs(top, 0, out);
  }
  if (d) ::closedir(d);
  return out;
}

// Live processes that are this test's: berth or an init carrying the tag in
// its environment, or anything in a cgroup named after the container.
std::set<int> test_processes(const std::string& tag, const std::string& id) {
  std::set<int> out;
  DIR* d = ::opendir("/proc");
  while (struct dirent* e = d ? ::readdir(d) : nullptr) {
    int pid = ::atoi(e->d_name);
    if (pid <= 0 || pid == ::getpid() || !pid_alive(pid)) continue;
    std::string p = "/proc/" + std::to_string(pid);
    std::string env = read_text(p + "/environ");
    std::string cg = read_text(p + "/cgroup");
    if (env.find("BERTH_TEST_TAG=" + tag) != std::string::npos || cg.find("/" + id + "\n") != std::string::npos)
      out.insert(pid);
  }
  if (d) ::closedir(d);
  return out;
}

std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  while (struct dirent* e = d ? ::readdir(d) : nullptr)
    if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") out.push_back(e->d_name);
  if (d) ::closedir(d);
  return out;
}

template <typename T>
std::vector<T> added(const std::vector<T>& before, const std::vector<T>& after) {
  std::multiset<T> b(before.begin(), before.end());
  std::vector<T> out;
  for (const auto& x : after) {
    auto it = b.find(x);
    if (it == b.end()) out.push_back(x);
    else b.erase(it);
  }
  return out;
}

class CrashPoints : public BerthTest {
 protected:
  RunResult with_crash(const std::string& point, std::vector<std::string> args) {
    ::setenv("BERTH_CRASH_AT", point.c_str(), 1);
    RunResult r = berth(std::move(args));
    ::unsetenv("BERTH_CRASH_AT");
    return r;
  }
  // Runs one point; returns the leftovers it found, "" for none.
  void walk(const Point& p, const std::string& id);
};

void CrashPoints::walk(const Point& p, const std::string& id) {
  auto mounts = mount_points();
  auto cgroups = cgroup_dirs();
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
      if (p.phase == Phase::kExec) crashed = with_crash(p.name, {"exec", id, "/bin/probe", "id"});
      else crashed = with_crash(p.name, {"delete", "--force", id});
    }
  }
  // The point was reached: its name is on stderr (an init after start has
  // no stderr left to write to; it must then be stopped).
  if (p.env_on_create) {
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

  // Nothing left: processes may take a moment to be reaped by pid 1.
  std::set<int> procs;
  for (int i = 0; i < 100; ++i) {
    procs = test_processes(tmp_, id);
    if (procs.empty()) break;
    ::usleep(20000);
  }
  std::string left;
  for (int pid : procs) left += " process " + std::to_string(pid);
  for (const auto& m : added(mounts, mount_points())) left += " mount " + m;
  auto now = cgroup_dirs();
  for (const auto& dir : now)
    if (!cgroups.contains(dir)) left += " cgroup " + dir;
  for (const auto& e : entries(root_)) left += " state " + root_ + "/" + e;
  EXPECT_EQ(left, "") << p.name << " left:" << left;
}

TEST_F(CrashPoints, EveryPointLeavesNothingBehind) {
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

TEST(CrashPoints, EveryPointLeavesNothingBehind) {
  GTEST_SKIP() << "berth built without -DBERTH_CRASH_POINTS=ON";
}

#endif

}  // namespace
}  // namespace berth::test
