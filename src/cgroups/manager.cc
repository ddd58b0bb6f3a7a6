#include "cgroups/manager.h"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "base/crash.h"
#include "base/file.h"

namespace berth::cgroups {

namespace {

// "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice", as systemd nests slices.
Result<std::string> expand_slice(const std::string& slice) {
  const std::string suffix = ".slice";
  if (slice.size() <= suffix.size() || slice.compare(slice.size() - suffix.size(), suffix.size(), suffix) != 0 ||
      slice.find('/') != std::string::npos)
    return invalid("linux.cgroupsPath: invalid slice \"" + slice + "\"");
  if (slice == "-.slice") return std::string("/");
  std::string name = slice.substr(0, slice.size() - suffix.size());
  std::string out, prefix;
  for (const auto& part : split(name, '-')) {
    if (part.empty()) return invalid("linux.cgroupsPath: invalid slice \"" + slice + "\"");
    prefix += (prefix.empty() ? "" : "-") + part;
    out += "/" + prefix + suffix;
  }
  return out;
}

// The path below the hierarchy root for one hierarchy key.
Result<std::string> inner_path(const std::string& cgroups_path, const std::string& id, bool systemd,
                               const std::string& own) {
  if (systemd) {
    std::string spec = cgroups_path.empty() ? "system.slice:berth:" + id : cgroups_path;
    auto parts = split(spec, ':');
    if (parts.size() != 3)
      return invalid("linux.cgroupsPath: \"" + cgroups_path + "\": with --systemd-cgroup it must be slice:prefix:name");
    auto slice = expand_slice(parts[0].empty() ? "system.slice" : parts[0]);
    if (!slice) return std::move(slice).error();
    std::string unit = parts[2].size() > 6 && parts[2].ends_with(".slice")
                           ? parts[2]
                           : (parts[1].empty() ? "" : parts[1] + "-") + parts[2] + ".scope";
    return path_clean(*slice + "/" + unit);
  }
  std::string p = cgroups_path.empty() ? id : cgroups_path;
  if (p[0] == '/') return path_clean(p);
  return path_clean("/" + own + "/" + p);
}

}  // namespace

Result<Paths> resolve_paths(const Layout& layout, const std::string& cgroups_path, const std::string& id, bool systemd,
                            const Paths& own) {
  Paths out;
  auto own_of = [&](const std::string& key) {
    auto it = own.find(key);
    return it == own.end() ? std::string("/") : it->second;
  };
  for (const auto& h : layout.v1) {
    auto inner = inner_path(cgroups_path, id, systemd, own_of(h.key));
    if (!inner) return std::move(inner).error();
    if (*inner == "/") return invalid("linux.cgroupsPath: \"" + cgroups_path + "\" is the root cgroup");
    out[h.key] = path_join(h.mount_point, *inner);
  }
  if (!layout.v2.empty()) {
    auto inner = inner_path(cgroups_path, id, systemd, own_of(""));
    if (!inner) return std::move(inner).error();
    if (*inner == "/") return invalid("linux.cgroupsPath: \"" + cgroups_path + "\" is the root cgroup");
    out[""] = path_join(layout.v2, *inner);
  }
  return out;
}

Result<std::vector<pid_t>> read_pids(const std::string& dir) {
  std::vector<pid_t> pids;
  auto text = read_file(path_join(dir, "cgroup.procs"));
  if (!text) return std::move(text).error();
  for (const auto& line : split(*text, '\n')) {
    int64_t v;
    if (parse_int64(line, v) && v > 0) pids.push_back(static_cast<pid_t>(v));
  }
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return pids;
  while (struct dirent* e = ::readdir(d)) {
    if (e->d_type != DT_DIR || e->d_name[0] == '.') continue;
    auto sub = read_pids(path_join(dir, e->d_name));
    if (sub) pids.insert(pids.end(), sub->begin(), sub->end());
  }
  ::closedir(d);
  std::sort(pids.begin(), pids.end());
  pids.erase(std::unique(pids.begin(), pids.end()), pids.end());
  return pids;
}

namespace {

// rmdir of a cgroup directory and the sub-cgroups a container made in it,
// deepest first. EBUSY lasts while killed tasks are not yet reaped.
Status remove_tree(const std::string& dir) {
  if (DIR* d = ::opendir(dir.c_str())) {
    std::vector<std::string> subs;
    while (struct dirent* e = ::readdir(d))
      if (e->d_type == DT_DIR && e->d_name[0] != '.') subs.push_back(path_join(dir, e->d_name));
    ::closedir(d);
    for (const auto& s : subs) BERTH_TRY(remove_tree(s));
  }
  for (int attempt = 0;; ++attempt) {
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return {};
    if (errno != EBUSY || attempt >= 500) return sys_error("remove cgroup " + dir);
    ::usleep(10000);
  }
}

}  // namespace

Status Manager::destroy() {
  bool any = false;
  for (const auto& [key, dir] : paths_) any = any || path_exists(dir);
  if (!any) return {};
  // A frozen process cannot die: thaw first. An empty cgroup frozen by its
  // parent (a create refused for it) cannot thaw, and needs not: it is
  // removed as it is.
  if (frozen()) {
    if (auto r = freeze(false); !r) {
      auto pids = this->pids();
      if (!pids || !pids->empty()) return std::move(r).error();
    }
  }
  for (int round = 0; round < 100; ++round) {
    auto pids = this->pids();
    if (!pids || pids->empty()) break;
    for (pid_t p : *pids) ::kill(p, SIGKILL);
    ::usleep(round < 10 ? 1000 : 10000);
  }
  Status st;
  for (const auto& [key, dir] : paths_) {
    if (auto r = remove_tree(dir); !r && st) st = r;
    crash_point("delete:cgroup", key.empty() ? "unified" : key);
  }
  return st;
}

}  // namespace berth::cgroups
