#include "leftovers.h"

#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

namespace berth::test {

namespace {

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

std::set<int> test_processes(const std::string& tag, const std::string& id_prefix) {
  std::set<int> out;
  DIR* d = ::opendir("/proc");
  while (struct dirent* e = d ? ::readdir(d) : nullptr) {
    int pid = ::atoi(e->d_name);
    if (pid <= 0 || pid == ::getpid() || !pid_alive(pid)) continue;
    std::string p = "/proc/" + std::to_string(pid);
    std::string env = read_text(p + "/environ");
    std::string cg = read_text(p + "/cgroup");
    if (env.find("BERTH_TEST_TAG=" + tag) != std::string::npos || cg.find("/" + id_prefix) != std::string::npos)
      out.insert(pid);
  }
  if (d) ::closedir(d);
  return out;
}

}  // namespace

HostSnapshot snapshot_host() { return {mount_points(), cgroup_dirs()}; }

std::string leftovers(const HostSnapshot& before, const std::string& root, const std::string& tag,
                      const std::string& id_prefix) {
  std::string left;
  std::set<int> procs;
  for (int i = 0; i < 150; ++i) {
    procs = test_processes(tag, id_prefix);
    if (procs.empty()) break;
    ::usleep(20000);
  }
  for (int pid : procs)
    left += " process " + std::to_string(pid) + " (" + read_text("/proc/" + std::to_string(pid) + "/comm") + ")";
  std::multiset<std::string> had(before.mounts.begin(), before.mounts.end());
  for (const auto& m : mount_points()) {
    auto it = had.find(m);
    if (it == had.end())
      left += " mount " + m;
    else
      had.erase(it);
  }
  // Only directories named like the test's containers: other tests on the
  // host may make cgroups of their own meanwhile.
  for (const auto& dir : cgroup_dirs())
    if (!before.cgroups.contains(dir) && dir.find("/" + id_prefix) != std::string::npos) left += " cgroup " + dir;
  DIR* d = ::opendir(root.c_str());
  while (struct dirent* e = d ? ::readdir(d) : nullptr) {
    std::string name = e->d_name;
    if (name != "." && name != "..") left += " state " + root + "/" + name;
  }
  if (d) ::closedir(d);
  return left;
}

}  // namespace berth::test
