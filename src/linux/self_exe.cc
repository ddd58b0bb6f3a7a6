#include "linux/self_exe.h"

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/fd.h"

extern char** environ;

namespace berth::lnx {

namespace {

constexpr int kSeals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;

// Already protected: on a read-only mount (re-executed, or installed so), or
// a sealed memfd copy.
bool running_read_only() {
  struct statvfs st {};
  if (::statvfs("/proc/self/exe", &st) == 0 && (st.f_flag & ST_RDONLY)) return true;
  Fd exe(::open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
  return exe && ::fcntl(exe.get(), F_GET_SEALS) == kSeals;
}

// Kernels without open_tree/mount_setattr (before 5.12): a sealed memfd
// copy of the binary, as runc does. It costs a copy of the binary per run.
Status reexec_from_sealed_copy(char** argv) {
  Fd exe(::open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
  if (!exe) return sys_error("open /proc/self/exe");
  struct stat sb {};
  if (::fstat(exe.get(), &sb) < 0) return sys_error("stat /proc/self/exe");
  Fd copy(static_cast<int>(::syscall(SYS_memfd_create, "berth", MFD_CLOEXEC | MFD_ALLOW_SEALING)));
  if (!copy) return sys_error("memfd_create");
  for (off_t left = sb.st_size; left > 0;) {
    ssize_t n = ::sendfile(copy.get(), exe.get(), nullptr, static_cast<size_t>(left));
    if (n <= 0) return sys_error("copy berth into a memfd");
    left -= n;
  }
  if (::fcntl(copy.get(), F_ADD_SEALS, kSeals) < 0) return sys_error("seal the memfd copy of berth");
  ::syscall(SYS_execveat, copy.get(), "", argv, environ, AT_EMPTY_PATH);
  return sys_error("re-execute berth from its sealed copy");
}

}  // namespace

Status reexec_from_read_only_self(char** argv) {
  if (running_read_only()) return {};
  Fd tree(static_cast<int>(::syscall(SYS_open_tree, AT_FDCWD, "/proc/self/exe", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)));
  if (!tree) {
    if (errno == EPERM) return {};
    if (errno == ENOSYS) return reexec_from_sealed_copy(argv);
    return sys_error("open_tree /proc/self/exe");
  }
  mount_attr attr{};
  attr.attr_set = MOUNT_ATTR_RDONLY;
  if (::syscall(SYS_mount_setattr, tree.get(), "", AT_EMPTY_PATH, &attr, sizeof(attr)) != 0) {
    if (errno == ENOSYS) return reexec_from_sealed_copy(argv);
    return sys_error("make a read-only mount of /proc/self/exe");
  }
  // The fd is close-on-exec: the new image keeps the mount through its
  // mm's exe file, not through a descriptor the container could inherit.
  ::syscall(SYS_execveat, tree.get(), "", argv, environ, AT_EMPTY_PATH);
  return sys_error("re-execute berth from its read-only mount");
}

}  // namespace berth::lnx
