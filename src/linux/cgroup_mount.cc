#include "linux/cgroup_mount.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <map>

#include "base/file.h"
#include "linux/cgroup_join.h"
#include "linux/mountinfo.h"
#include "linux/mounts.h"

namespace berth::lnx {

namespace {

constexpr char kHostCgroup[] = "/sys/fs/cgroup";

// Mounts one hierarchy at target: fresh in a new cgroup namespace, else a bind
// of the process's own cgroup directory.
Status mount_hierarchy(int target, const MountInfo& mi, const std::string& ctrls,
                       const std::map<std::string, std::string>& own, unsigned long flags, bool new_ns) {
  bool v2 = mi.fs_type == "cgroup2";
  if (new_ns) {
    if (::mount(v2 ? "cgroup2" : "cgroup", fd_path(target).c_str(), v2 ? "cgroup2" : "cgroup", flags,
                v2 ? nullptr : ctrls.c_str()) < 0)
      return sys_error("mount " + mi.mount_point);
    return {};
  }
  auto it = own.find(v2 ? "" : ctrls);
  std::string src = path_join(mi.mount_point, it == own.end() ? "/" : it->second);
  if (::mount(src.c_str(), fd_path(target).c_str(), nullptr, MS_BIND, nullptr) < 0) return sys_error("bind " + src);
  return {};
}

}  // namespace

Status mount_cgroup(int root, const std::string& dest, unsigned long flags, bool new_cgroup_ns) {
  flags &= ~(MS_BIND | MS_REC | MS_REMOUNT);
  auto infos = read_mountinfo();
  if (!infos) return std::move(infos).error();
  auto own = proc_cgroups("self");
  if (!own) return std::move(own).error();
  auto target = make_in_root(root, dest, false, 0755);
  if (!target) return std::move(target).error();

  for (const auto& mi : *infos) {
    if (mi.mount_point == kHostCgroup && mi.fs_type == "cgroup2") {  // unified host
      BERTH_TRY(mount_hierarchy(target->get(), mi, "", *own, flags, new_cgroup_ns));
      if (!new_cgroup_ns && flags != 0) {  // a bind ignores flags: remount with them
        auto m = open_in_root(root, dest, O_PATH);
        if (!m) return std::move(m).error();
        return remount(m->get(), flags);
      }
      return {};
    }
  }

  if (::mount("tmpfs", fd_path(target->get()).c_str(), "tmpfs", (flags & ~MS_RDONLY), "mode=755") < 0)
    return sys_error("mount tmpfs");
  auto tmpfs = open_in_root(root, dest, O_PATH | O_DIRECTORY);
  if (!tmpfs) return std::move(tmpfs).error();
  std::string prefix = std::string(kHostCgroup) + "/";
  for (const auto& mi : *infos) {
    if (mi.mount_point.rfind(prefix, 0) != 0) continue;
    std::string name = mi.mount_point.substr(prefix.size());
    if (name.empty() || name.find('/') != std::string::npos) continue;
    std::string ctrls;
    if (mi.fs_type == "cgroup") {
      ctrls = hierarchy_key(mi, *own);
      if (ctrls.empty() || ctrls == "-") continue;
    } else if (mi.fs_type != "cgroup2") {
      continue;
    }
    auto sub = make_in_root(root, path_join(dest, name), false, 0755);
    if (!sub) return std::move(sub).error();
    BERTH_TRY(mount_hierarchy(sub->get(), mi, ctrls, *own, flags, new_cgroup_ns));
    if (!new_cgroup_ns) {
      auto m = open_in_root(root, path_join(dest, name), O_PATH);
      if (!m) return std::move(m).error();
      BERTH_TRY(remount(m->get(), flags));
    }
  }
  // The host's aliases for co-mounted controllers: cpu -> cpu,cpuacct.
  if (DIR* d = ::opendir(kHostCgroup)) {
    while (struct dirent* e = ::readdir(d)) {
      if (e->d_type != DT_LNK) continue;
      char link[256];
      std::string p = prefix + e->d_name;
      ssize_t n = ::readlink(p.c_str(), link, sizeof link - 1);
      if (n <= 0) continue;
      link[n] = '\0';
      (void)::symlinkat(link, tmpfs->get(), e->d_name);
    }
    ::closedir(d);
  }
  if (flags & MS_RDONLY) BERTH_TRY(remount(tmpfs->get(), flags));
  return {};
}

}  // namespace berth::lnx
