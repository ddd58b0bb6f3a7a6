#include "linux/rootfs.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/crash.h"
#include "base/file.h"
#include "base/log.h"
#include "linux/devices.h"
#include "linux/mountinfo.h"

namespace berth::lnx {

namespace {

unsigned long propagation_flags(const std::string& p) {
  if (p == "shared") return MS_SHARED;
  if (p == "rshared") return MS_SHARED | MS_REC;
  if (p == "slave") return MS_SLAVE;
  if (p == "rslave") return MS_SLAVE | MS_REC;
  if (p == "private") return MS_PRIVATE;
  if (p == "rprivate") return MS_PRIVATE | MS_REC;
  if (p == "unbindable") return MS_UNBINDABLE;
  if (p == "runbindable") return MS_UNBINDABLE | MS_REC;
  return MS_SLAVE | MS_REC;  // runc's default: see host mounts, never leak ours to it
}

// /dev is populated by berth unless the spec bind-mounts the host's /dev.
bool needs_dev_setup(const oci::Spec& spec) {
  for (const auto& m : spec.mounts) {
    if (path_clean(m.destination) != "/dev") continue;
    auto o = parse_mount_options(m.options);
    if (o.bind() || m.type == "bind") return false;
  }
  return true;
}

// pivot_root(2) needs the new root's mount and its parent mount to be
// non-shared. The rootfs is bind-mounted onto itself next, so the mount that
// holds the rootfs (the rootfs itself when it is a mount point, as
// containerd's overlay always is) becomes that parent: it is made private,
// and the bind copies it as private. Under rootfsPropagation "rshared" a
// mount point rootfs would otherwise stay shared (pivot_root: EINVAL).
Status make_parent_private(const std::string& rootfs) {
  std::string parent = rootfs;
  for (;;) {
    if (::mount(nullptr, parent.c_str(), nullptr, MS_PRIVATE, nullptr) == 0) return {};
    if (errno != EINVAL || parent == "/") return sys_error("make " + parent + " private");
    // EINVAL: not a mount point; try the directory above.
    auto slash = parent.rfind('/');
    parent = slash == 0 ? "/" : parent.substr(0, slash);
  }
}

Status pivot_root_to(const std::string& rootfs) {
  auto old_root = open_file("/", O_DIRECTORY | O_RDONLY);
  if (!old_root) return std::move(old_root).error();
  auto new_root = open_file(rootfs, O_DIRECTORY | O_RDONLY);
  if (!new_root) return std::move(new_root).error();
  if (::fchdir(new_root->get()) < 0) return sys_error("chdir " + rootfs);
  // pivot_root(".", "."): the old root is stacked under the new one and
  // unmounted from there, so no directory for it is needed in the image.
  if (::syscall(SYS_pivot_root, ".", ".") < 0) return sys_error("pivot_root " + rootfs);
  if (::fchdir(old_root->get()) < 0) return sys_error("chdir old root");
  // Slave first, so the detach below never propagates to the host.
  if (::mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) < 0) return sys_error("make old root slave");
  if (::umount2(".", MNT_DETACH) < 0) return sys_error("unmount old root");
  if (::chdir("/") < 0) return sys_error("chdir /");
  return {};
}

// With chroot the host's mounts stay in the container's mount namespace,
// out of view but there: a full procfs or sysfs among them lets a nested
// user namespace mount a fresh procfs (the kernel's mount_too_revealing()
// looks for one). Each one outside the rootfs is detached, or covered with
// an empty tmpfs where that is not allowed, as runc does.
Status hide_host_proc_and_sys(const std::string& rootfs) {
  auto mounts = read_mountinfo();
  if (!mounts) return std::move(mounts).error();
  for (const auto& m : *mounts) {
    if (m.root != "/" || (m.fs_type != "proc" && m.fs_type != "sysfs")) continue;
    if (m.mount_point == rootfs || m.mount_point.starts_with(rootfs + "/")) continue;
    const char* p = m.mount_point.c_str();
    // Slave first, so the detach never propagates to the host.
    if (::mount(nullptr, p, nullptr, MS_SLAVE | MS_REC, nullptr) < 0) {
      if (errno == ENOENT) continue;  // under a mount already detached
      return sys_error("make " + m.mount_point + " slave");
    }
    if (::umount2(p, MNT_DETACH) == 0) continue;
    if (errno != EINVAL && errno != EPERM) return sys_error("unmount " + m.mount_point);
    if (::mount("tmpfs", p, "tmpfs", 0, nullptr) < 0) return sys_error("cover " + m.mount_point);
  }
  return {};
}

Status move_and_chroot(const std::string& rootfs) {
  BERTH_TRY(hide_host_proc_and_sys(rootfs));
  if (::chdir(rootfs.c_str()) < 0) return sys_error("chdir " + rootfs);
  if (::mount(rootfs.c_str(), "/", nullptr, MS_MOVE, nullptr) < 0) return sys_error("move rootfs to /");
  if (::chroot(".") < 0) return sys_error("chroot");
  if (::chdir("/") < 0) return sys_error("chdir /");
  return {};
}

// /dev/null for masking, checked to really be the null device: an image could
// have planted a symlink or another file there.
Result<Fd> open_dev_null(int root) {
  auto fd = open_in_root(root, "/dev/null", O_PATH | O_NOFOLLOW);
  if (!fd) return std::move(fd).error();
  struct stat sb;
  if (::fstat(fd->get(), &sb) < 0) return sys_error("stat /dev/null");
  if (!S_ISCHR(sb.st_mode) || major(sb.st_rdev) != 1 || minor(sb.st_rdev) != 3)
    return invalid("/dev/null in the container is not the null device");
  return fd;
}

// A symlink is followed (inside the root), as runc does: its target is what
// gets masked, and a loop is an error.
Status mask_path(int root, const std::string& path, int dev_null) {
  auto target = open_in_root(root, path, O_PATH);
  if (!target) {
    if (target.error().code == ENOENT) return {};
    return std::move(target).error();
  }
  struct stat sb;
  if (::fstat(target->get(), &sb) < 0) return sys_error("stat " + path);
  std::string where = fd_path(target->get());
  if (S_ISDIR(sb.st_mode)) {
    if (::mount("tmpfs", where.c_str(), "tmpfs", MS_RDONLY, nullptr) < 0) return sys_error("mask " + path);
  } else if (::mount(fd_path(dev_null).c_str(), where.c_str(), nullptr, MS_BIND, nullptr) < 0) {
    return sys_error("mask " + path);
  }
  return {};
}

Status readonly_path(int root, const std::string& path) {
  auto target = open_in_root(root, path, O_PATH | O_NOFOLLOW);
  if (!target) {
    if (target.error().code == ENOENT) return {};
    return std::move(target).error();
  }
  std::string where = fd_path(target->get());
  if (::mount(where.c_str(), where.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0) return sys_error("bind " + path);
  auto mounted = open_in_root(root, path, O_PATH | O_NOFOLLOW);
  if (!mounted) return std::move(mounted).error();
  if (auto r = remount(mounted->get(), MS_RDONLY); !r) return std::move(r).error().wrap("make " + path + " read-only");
  return {};
}

}  // namespace

Status setup_rootfs(const oci::Spec& spec, const RootfsConfig& cfg) {
  const std::string& propagation = spec.linux_ ? spec.linux_->rootfs_propagation : "";
  if (::mount(nullptr, "/", nullptr, propagation_flags(propagation), nullptr) < 0)
    return sys_error("set propagation of /");
  BERTH_TRY(make_parent_private(cfg.rootfs));
  crash_point("init:propagation");
  // A bind of the rootfs onto itself makes it a mount point pivot_root accepts.
  if (::mount(cfg.rootfs.c_str(), cfg.rootfs.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0)
    return sys_error("bind rootfs " + cfg.rootfs);
  crash_point("init:bind-rootfs");
  auto root = open_file(cfg.rootfs, O_PATH | O_DIRECTORY);
  if (!root) return std::move(root).error();

  for (size_t i = 0; i < spec.mounts.size(); ++i) {
    int userns = i < cfg.mount.idmap_userns.size() ? cfg.mount.idmap_userns[i] : -1;
    int tree = i < cfg.mount.bind_trees.size() ? cfg.mount.bind_trees[i] : -1;
    BERTH_TRY(mount_entry(root->get(), spec.mounts[i], cfg.mount, userns, tree));
  }
  crash_point("init:mounts");

  if (needs_dev_setup(spec)) {
    BERTH_TRY(create_devices(root->get(), default_devices(), cfg.userns));
    BERTH_TRY(create_dev_symlinks(root->get()));
  }
  if (spec.linux_) BERTH_TRY(create_devices(root->get(), spec.linux_->devices, cfg.userns));
  crash_point("init:devices");
  if (spec.process && !spec.process->cwd.empty()) {
    auto cwd = make_in_root(root->get(), spec.process->cwd, false, 0755);
    if (!cwd) return std::move(cwd).error().wrap("create cwd");
  }
  root->reset();
  if (cfg.before_pivot) BERTH_TRY(cfg.before_pivot());
  BERTH_DEBUG(std::string("init: ") + (cfg.no_pivot ? "move and chroot to " : "pivot_root to ") + cfg.rootfs);
  BERTH_TRY(cfg.no_pivot ? move_and_chroot(cfg.rootfs) : pivot_root_to(cfg.rootfs));
  crash_point("init:pivot-root");
  return {};
}

Status finish_rootfs(const oci::Spec& spec) {
  auto root = open_file("/", O_PATH | O_DIRECTORY);
  if (!root) return std::move(root).error();
  if (spec.linux_) {
    if (!spec.linux_->masked_paths.empty()) {
      auto null = open_dev_null(root->get());
      if (!null) return std::move(null).error().wrap("mask paths");
      for (const auto& p : spec.linux_->masked_paths) BERTH_TRY(mask_path(root->get(), p, null->get()));
    }
    crash_point("init:masked-paths");
    for (const auto& p : spec.linux_->readonly_paths) BERTH_TRY(readonly_path(root->get(), p));
    crash_point("init:readonly-paths");
  }
  // A read-only /dev was mounted writable for its devices (mount_entry).
  for (const auto& m : spec.mounts) {
    if (path_clean(m.destination) != "/dev" || !(parse_mount_options(m.options).flags & MS_RDONLY)) continue;
    auto dev = open_in_root(root->get(), "/dev", O_PATH | O_DIRECTORY);
    if (!dev) return std::move(dev).error().wrap("make /dev read-only");
    if (auto r = remount(dev->get(), MS_RDONLY); !r) return std::move(r).error().wrap("make /dev read-only");
  }
  if (spec.root.readonly) {
    if (auto r = remount(root->get(), MS_RDONLY); !r) return std::move(r).error().wrap("make / read-only");
  }
  crash_point("init:root-readonly");
  return {};
}

}  // namespace berth::lnx
