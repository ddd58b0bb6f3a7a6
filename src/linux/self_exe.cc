#include "linux/self_exe.h"

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/fd.h"

extern char** environ;

namespace berth::lnx {

Status reexec_from_read_only_self(char** argv) {
  struct statvfs st {};
  if (::statvfs("/proc/self/exe", &st) == 0 && (st.f_flag & ST_RDONLY)) return {};
  Fd tree(static_cast<int>(::syscall(SYS_open_tree, AT_FDCWD, "/proc/self/exe", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)));
  if (!tree) {
    if (errno == EPERM) return {};
    return sys_error("open_tree /proc/self/exe");
  }
  mount_attr attr{};
  attr.attr_set = MOUNT_ATTR_RDONLY;
  if (::syscall(SYS_mount_setattr, tree.get(), "", AT_EMPTY_PATH, &attr, sizeof(attr)) != 0)
    return sys_error("make a read-only mount of /proc/self/exe");
  // The fd is close-on-exec: the new image keeps the mount through its
  // mm's exe file, not through a descriptor the container could inherit.
  ::syscall(SYS_execveat, tree.get(), "", argv, environ, AT_EMPTY_PATH);
  return sys_error("re-execute berth from its read-only mount");
}

}  // namespace berth::lnx
