#include "platform/vm/share.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "base/file.h"

namespace berth::vm {

namespace {

std::string fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

// ROOT of ROOT/ID, opened by its path, and ID.
Result<std::pair<Fd, std::string>> open_root(const std::string& share) {
  auto slash = share.rfind('/');
  if (slash == std::string::npos || slash == 0) return invalid("vm share path " + share);
  int fd = ::open(share.substr(0, slash).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return sys_error("open " + share.substr(0, slash));
  return std::make_pair(Fd(fd), share.substr(slash + 1));
}

}  // namespace

Result<Fd> make_share_dir(const std::string& share) {
  auto root = open_root(share);
  if (!root) return std::move(root).error();
  if (::mkdirat(root->first.get(), root->second.c_str(), 0700) < 0) return sys_error("mkdir " + share);
  return open_share_dir(share);
}

Result<Fd> open_share_dir(const std::string& share) {
  auto root = open_root(share);
  if (!root) return std::move(root).error();
  int fd = ::openat(root->first.get(), root->second.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    Error e = sys_error("open " + share);
    if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) e.kind = ErrorKind::kNotFound;
    return e;
  }
  return Fd(fd);
}

Status bind_into_share(int share_fd, const std::string& source, const std::string& name) {
  int src = ::open(source.c_str(), O_PATH | O_CLOEXEC);
  if (src < 0) return sys_error("open bind source " + source);
  Fd s(src);
  struct stat st;
  if (::fstat(src, &st) < 0) return sys_error("stat " + source);
  if (S_ISDIR(st.st_mode)) {
    if (::mkdirat(share_fd, name.c_str(), 0755) < 0) return sys_error("mkdir share/" + name);
  } else {
    int f = ::openat(share_fd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (f < 0) return sys_error("create share/" + name);
    ::close(f);
  }
  int t = ::openat(share_fd, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (t < 0) return sys_error("open share/" + name);
  Fd target(t);
  if (::mount(fd_path(src).c_str(), fd_path(t).c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0)
    return sys_error("bind " + source + " into the utility VM's share");
  // Private: what the host later mounts below the source is not the guest's.
  int m = ::openat(share_fd, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (m < 0) return sys_error("open share/" + name);
  Fd mounted(m);
  if (::mount(nullptr, fd_path(m).c_str(), nullptr, MS_REC | MS_PRIVATE, nullptr) < 0)
    return sys_error("make share/" + name + " private");
  return {};
}

Status write_into_share(int share_fd, const std::string& name, std::string_view data) {
  int fd = ::openat(share_fd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return sys_error("create share/" + name);
  Fd f(fd);
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error("write share/" + name);
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

Status remove_share(const std::string& share) {
  // Every mount at or below share, deepest first; a final symlink is never followed.
  auto info = read_file("/proc/self/mountinfo");
  if (!info) return std::move(info).error();
  std::vector<std::string> targets;
  for (const auto& line : split(*info, '\n')) {
    auto f = split(line, ' ');
    if (f.size() < 5) continue;
    const std::string& t = f[4];
    if (t == share || t.starts_with(share + "/")) targets.push_back(t);
  }
  std::sort(targets.begin(), targets.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
  for (const auto& t : targets)
    if (::umount2(t.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) < 0 && errno != EINVAL && errno != ENOENT)
      return sys_error("unmount " + t);
  auto dir = open_share_dir(share);
  if (!dir) return dir.error().kind == ErrorKind::kNotFound ? Status{} : Status(std::move(dir).error());
  std::vector<std::string> names;
  if (DIR* d = ::fdopendir(::dup(dir->get()))) {
    while (struct dirent* e = ::readdir(d))
      if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) names.emplace_back(e->d_name);
    ::closedir(d);
  }
  for (const auto& n : names)
    if (::unlinkat(dir->get(), n.c_str(), 0) < 0 && ::unlinkat(dir->get(), n.c_str(), AT_REMOVEDIR) < 0 &&
        errno != ENOENT)
      return sys_error("remove " + share + "/" + n);
  auto root = open_root(share);
  if (!root) return std::move(root).error();
  if (::unlinkat(root->first.get(), root->second.c_str(), AT_REMOVEDIR) < 0 && errno != ENOENT)
    return sys_error("rmdir " + share);
  return {};
}

}  // namespace berth::vm
