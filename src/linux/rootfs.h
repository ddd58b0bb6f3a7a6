// The container's root filesystem, set up by init in its new mount namespace.
#pragma once

#include <functional>
#include <string>

#include "base/result.h"
#include "linux/mounts.h"
#include "oci/spec.h"

namespace berth::lnx {

struct RootfsConfig {
  std::string rootfs;  // absolute host path of root.path
  MountContext mount;
  bool userns = false;    // devices are bind-mounted instead of made with mknod
  bool no_pivot = false;  // MS_MOVE + chroot instead of pivot_root (rootfs on ramfs)
  // Runs after the mounts, before the root changes: where the hooks of the
  // create operation go (their paths resolve in the runtime's filesystem).
  std::function<Status()> before_pivot;
};

// Before the root changes: propagation, the rootfs bind mount, every spec
// mount, /dev, and the cwd directory; then pivot_root (or chroot). On return
// "/" is the container's root and the old root is gone from view.
Status setup_rootfs(const oci::Spec& spec, const RootfsConfig& cfg);

// After the root changed and sysctls are written: masked and read-only
// paths, then root.readonly. Paths resolve inside the new root only.
Status finish_rootfs(const oci::Spec& spec);

}  // namespace berth::lnx
