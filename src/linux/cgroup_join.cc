#include "linux/cgroup_join.h"

#include "base/file.h"
#include "linux/mountinfo.h"

namespace berth::lnx {

Result<std::map<std::string, std::string>> proc_cgroups(const std::string& pid) {
  auto text = read_file("/proc/" + pid + "/cgroup");
  if (!text) return std::move(text).error();
  std::map<std::string, std::string> out;
  for (const auto& line : split(*text, '\n')) {
    auto a = line.find(':');
    auto b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos) continue;
    out[line.substr(a + 1, b - a - 1)] = line.substr(b + 1);
  }
  return out;
}

std::string hierarchy_key(const MountInfo& mi, const std::map<std::string, std::string>& cgroups) {
  if (mi.fs_type == "cgroup2") return "";
  auto opts = split(mi.super_options, ',');
  for (const auto& [ctrls, path] : cgroups) {
    if (ctrls.empty()) continue;
    bool all = true;
    for (const auto& c : split(ctrls, ',')) {
      bool found = false;
      for (const auto& o : opts) found = found || o == c;
      all = all && found;
    }
    if (all) return ctrls;
  }
  return "-";
}

Status join_cgroups_of(pid_t target, pid_t pid) {
  auto theirs = proc_cgroups(std::to_string(target));
  if (!theirs) return std::move(theirs).error();
  auto ours = proc_cgroups("self");
  if (ours && *ours == *theirs) return {};  // already there: nothing to write
  auto infos = read_mountinfo();
  if (!infos) return std::move(infos).error();
  std::map<std::string, bool> done;
  for (const auto& mi : *infos) {
    if (mi.fs_type != "cgroup" && mi.fs_type != "cgroup2") continue;
    std::string key = hierarchy_key(mi, *theirs);
    auto it = theirs->find(key);
    if (it == theirs->end() || done[key]) continue;
    // A mount of a sub-tree (mi.root) shows paths below it only.
    std::string rel = it->second;
    if (mi.root != "/" && rel.rfind(mi.root, 0) == 0) rel = rel.substr(mi.root.size());
    std::string procs = path_join(path_join(mi.mount_point, rel), "cgroup.procs");
    if (auto r = write_file(procs, std::to_string(pid)); !r) return std::move(r).error().wrap("join cgroup");
    done[key] = true;
  }
  return {};
}

}  // namespace berth::lnx
