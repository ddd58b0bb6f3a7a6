#include "linux/resolve.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <cstring>
#include <deque>
#include <vector>

#include "base/file.h"

namespace berth::lnx {

namespace {

bool g_walk_only = false;
bool g_no_openat2 = false;  // learned from the first ENOSYS/EPERM

constexpr int kMaxSymlinks = 40;  // the kernel's own limit (ELOOP)

// Returns the fd, or -1 with errno; -2 when openat2 cannot be used here.
long try_openat2(int dirfd, const std::string& path, int flags, uint64_t resolve) {
  if (g_walk_only || g_no_openat2) return -2;
  struct open_how how;
  std::memset(&how, 0, sizeof how);
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = resolve;
  long fd;
  do {
    fd = ::syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how);
  } while (fd < 0 && errno == EAGAIN);
  // ENOSYS: no openat2 (or a filter saying so); EPERM: a filter refusing it.
  if (fd < 0 && (errno == ENOSYS || errno == EPERM)) {
    g_no_openat2 = true;
    return -2;
  }
  return fd;
}

std::deque<std::string> components(const std::string& path) {
  std::deque<std::string> out;
  for (auto& c : split(path, '/'))
    if (!c.empty() && c != ".") out.push_back(std::move(c));
  return out;
}

bool same_file(const struct stat& a, const struct stat& b) { return a.st_dev == b.st_dev && a.st_ino == b.st_ino; }

// The last step: opened with the caller's flags by name in its parent, and
// checked to be the very file the O_PATH walk found.
Result<Fd> reopen_last(int parent, const std::string& name, const Fd& found, const struct stat& sb, int flags,
                       const std::string& path) {
  int accmode = flags & O_ACCMODE;
  if ((flags & O_PATH) && accmode == O_RDONLY) {
    if ((flags & O_DIRECTORY) && !S_ISDIR(sb.st_mode)) return sys_error("open " + path, ENOTDIR);
    int fd = ::fcntl(found.get(), F_DUPFD_CLOEXEC, 0);
    if (fd < 0) return sys_error("open " + path);
    return Fd(fd);
  }
  Fd fd(::openat(parent, name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return sys_error("open " + path);
  struct stat now;
  if (::fstat(fd.get(), &now) < 0) return sys_error("stat " + path);
  if (!same_file(now, sb)) return sys_error("open " + path + " (it changed while being opened)", EXDEV);
  return fd;
}

Result<Fd> walk_in_root(int root, const std::string& path, int flags) {
  std::vector<Fd> dirs;  // the directories entered below root, innermost last
  auto cur = [&] { return dirs.empty() ? root : dirs.back().get(); };
  std::deque<std::string> todo = components(path);
  int links = 0;
  const std::string what = path + " in container root";
  while (!todo.empty()) {
    std::string name = std::move(todo.front());
    todo.pop_front();
    if (name == "..") {
      if (!dirs.empty()) dirs.pop_back();  // never above root
      continue;
    }
    bool last = todo.empty();
    Fd next(::openat(cur(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!next) return sys_error("open " + what);
    struct stat sb;
    if (::fstat(next.get(), &sb) < 0) return sys_error("stat " + what);
    if (S_ISLNK(sb.st_mode) && !(last && (flags & O_NOFOLLOW))) {
      if (++links > kMaxSymlinks) return sys_error("open " + what, ELOOP);
      char target[PATH_MAX];
      ssize_t n = ::readlinkat(next.get(), "", target, sizeof target - 1);
      if (n < 0) return sys_error("readlink " + what);
      target[n] = '\0';
      if (target[0] == '/') dirs.clear();  // absolute: from the container's root
      auto more = components(target);
      todo.insert(todo.begin(), more.begin(), more.end());
      continue;
    }
    if (last) {
      if (S_ISLNK(sb.st_mode) && !(flags & O_PATH)) return sys_error("open " + what, ELOOP);
      return reopen_last(cur(), name, next, sb, flags, what);
    }
    if (!S_ISDIR(sb.st_mode)) return sys_error("open " + what, ENOTDIR);
    dirs.push_back(std::move(next));
  }
  // The path named root itself (or a directory reached by ".." and symlinks).
  Fd fd(::openat(cur(), ".", (flags & ~O_NOFOLLOW) | O_CLOEXEC));
  if (!fd) return sys_error("open " + what);
  return fd;
}

Result<Fd> walk_beneath(int dir, const std::string& rel, int flags) {
  struct stat top;
  if (::fstat(dir, &top) < 0) return sys_error("stat directory of " + rel);
  std::deque<std::string> todo = components(rel);
  if (todo.empty()) return sys_error("open " + rel, EINVAL);
  std::vector<Fd> dirs;  // entered below dir, innermost last
  while (!todo.empty()) {
    std::string name = std::move(todo.front());
    todo.pop_front();
    if (name == "..") {
      if (dirs.empty()) return sys_error("open " + rel, EXDEV);  // would leave dir
      dirs.pop_back();
      continue;
    }
    int parent = dirs.empty() ? dir : dirs.back().get();
    Fd next(::openat(parent, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!next) return sys_error("open " + rel);
    struct stat sb;
    if (::fstat(next.get(), &sb) < 0) return sys_error("stat " + rel);
    if (S_ISLNK(sb.st_mode)) return sys_error("open " + rel, ELOOP);
    if (sb.st_dev != top.st_dev) return sys_error("open " + rel + " (crosses a mount)", EXDEV);
    if (todo.empty()) return reopen_last(parent, name, next, sb, flags, rel);
    if (!S_ISDIR(sb.st_mode)) return sys_error("open " + rel, ENOTDIR);
    dirs.push_back(std::move(next));
  }
  return sys_error("open " + rel, EISDIR);  // the path ended in "..": never a sysctl file
}

}  // namespace

void force_resolve_walk(bool on) { g_walk_only = on; }

Result<Fd> open_in_root(int root, const std::string& path, int flags) {
  long fd = try_openat2(root, path, flags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
  if (fd == -2) return walk_in_root(root, path, flags);
  if (fd < 0) return sys_error("open " + path + " in container root");
  return Fd(static_cast<int>(fd));
}

Result<Fd> open_beneath(int dir, const std::string& rel, int flags) {
  long fd = try_openat2(dir, rel, flags,
                        RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV);
  if (fd == -2) return walk_beneath(dir, rel, flags);
  if (fd < 0) return sys_error("open " + rel);
  return Fd(static_cast<int>(fd));
}

}  // namespace berth::lnx
