#include "runtime/cgroup.h"

#include "base/file.h"

namespace berth::runtime {

namespace {

bool strictly_below(const std::string& path, const std::string& mount) {
  std::string clean = path_clean(path);
  return clean == path && clean.size() > mount.size() + 1 && clean.rfind(mount + "/", 0) == 0;
}

}  // namespace

Result<std::unique_ptr<cgroups::Manager>> manager_for(const state::ContainerState& st) {
  if (st.cgroups.empty()) return std::unique_ptr<cgroups::Manager>();
  auto layout = cgroups::host_layout();
  if (!layout) return std::move(layout).error();
  for (const auto& [key, path] : st.cgroups) {
    std::string mount = layout->v2;
    if (!key.empty()) {
      mount.clear();
      for (const auto& h : layout->v1)
        if (h.key == key) mount = h.mount_point;
    }
    if (mount.empty() || !strictly_below(path, mount))
      return invalid("state of " + st.id + ": cgroup path " + path + " is not inside a cgroup hierarchy");
  }
  return cgroups::make_manager(*layout, st.cgroups);
}

}  // namespace berth::runtime
