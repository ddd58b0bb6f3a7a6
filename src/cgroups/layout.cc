#include "cgroups/layout.h"

#include "base/file.h"

namespace berth::cgroups {

namespace {

// Super options that are not controllers.
bool is_controller_option(const std::string& o) {
  static const char* const kNot[] = {"rw",           "ro",
                                     "noprefix",     "clone_children",
                                     "xattr",        "cpuset_v2_mode",
                                     "favordynmods", "nsdelegate"};
  for (const char* n : kNot)
    if (o == n) return false;
  return o.rfind("release_agent=", 0) != 0;
}

}  // namespace

const Hierarchy* Layout::find(const std::string& controller) const {
  for (const auto& h : v1)
    for (const auto& c : h.controllers)
      if (c == controller) return &h;
  return nullptr;
}

Layout detect_layout(const std::vector<lnx::MountInfo>& mounts) {
  Layout l;
  for (const auto& m : mounts) {
    if (m.fs_type == "cgroup2") {
      if (l.v2.empty()) l.v2 = m.mount_point;
      continue;
    }
    if (m.fs_type != "cgroup") continue;
    Hierarchy h;
    h.mount_point = m.mount_point;
    std::string name;
    for (const auto& o : split(m.super_options, ',')) {
      if (!is_controller_option(o)) continue;
      if (o.rfind("name=", 0) == 0) {
        name = o;
        continue;
      }
      h.controllers.push_back(o);
    }
    // /proc/PID/cgroup lists a hierarchy as its controllers, then name=.
    for (const auto& c : h.controllers) h.key += (h.key.empty() ? "" : ",") + c;
    if (!name.empty()) h.key += (h.key.empty() ? "" : ",") + name;
    bool seen = false;
    for (const auto& e : l.v1) seen = seen || e.key == h.key;
    if (!seen && !h.key.empty()) l.v1.push_back(std::move(h));
  }
  return l;
}

Result<Layout> host_layout() {
  static Result<Layout> cached = []() -> Result<Layout> {
    auto mounts = lnx::read_mountinfo();
    if (!mounts) return std::move(mounts).error();
    return detect_layout(*mounts);
  }();
  return cached;
}

}  // namespace berth::cgroups
