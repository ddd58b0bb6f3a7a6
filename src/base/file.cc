#include "base/file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <ctime>

namespace berth {

Result<Fd> open_at(int dirfd, const std::string& path, int flags, mode_t mode) {
  int fd = ::openat(dirfd, path.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0) return sys_error("open " + path);
  return Fd(fd);
}

Result<Fd> open_file(const std::string& path, int flags, mode_t mode) { return open_at(AT_FDCWD, path, flags, mode); }

Result<std::string> read_fd(int fd) {
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error("read");
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Result<std::string> read_regular_fd(int fd, size_t size) {
  std::string out(size + 1, '\0');
  size_t have = 0;
  for (;;) {
    ssize_t n = ::read(fd, out.data() + have, out.size() - have);
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error("read");
    }
    have += static_cast<size_t>(n);
    // Short: the end of the file. Full: it grew since its size was taken.
    if (have < out.size()) break;
    out.resize(out.size() * 2);
  }
  out.resize(have);
  return out;
}

Result<std::string> read_file(const std::string& path) {
  auto fd = open_file(path, O_RDONLY);
  if (!fd) return std::move(fd).error();
  auto data = read_fd(fd->get());
  if (!data) return std::move(data).error().wrap(path);
  return data;
}

Result<std::string> read_input_file(const std::string& path, size_t max_bytes) {
  // O_NONBLOCK: opening a fifo must not wait for a writer.
  auto fd = open_file(path, O_RDONLY | O_NONBLOCK);
  if (!fd) return std::move(fd).error();
  struct stat sb;
  if (::fstat(fd->get(), &sb) < 0) return sys_error("stat " + path);
  if (!S_ISREG(sb.st_mode)) return Error{EINVAL, path + ": not a regular file", ErrorKind::kInvalidArgument};
  if (static_cast<uint64_t>(sb.st_size) > max_bytes)
    return Error{EFBIG, path + ": larger than " + std::to_string(max_bytes >> 20) + " MiB",
                 ErrorKind::kInvalidArgument};
  auto data = read_fd(fd->get());
  if (!data) return std::move(data).error().wrap(path);
  if (data->size() > max_bytes)
    return Error{EFBIG, path + ": larger than " + std::to_string(max_bytes >> 20) + " MiB",
                 ErrorKind::kInvalidArgument};
  return data;
}

Result<std::string> read_stream_file(const std::string& path, size_t max_bytes) {
  if (path == "-") return read_stream_fd(0, "stdin", max_bytes);
  // A fifo without a writer would block the open: opened non-blocking, then
  // read blocking, so a pipe being written is read to its end and a fifo
  // nobody writes reads as empty at once.
  auto fd = open_file(path, O_RDONLY | O_NONBLOCK);
  if (!fd) return std::move(fd).error();
  int fl = ::fcntl(fd->get(), F_GETFL);
  if (fl < 0 || ::fcntl(fd->get(), F_SETFL, fl & ~O_NONBLOCK) < 0) return sys_error("fcntl " + path);
  return read_stream_fd(fd->get(), path, max_bytes);
}

Result<std::string> read_stream_fd(int fd, const std::string& name, size_t max_bytes) {
  struct stat sb;
  if (::fstat(fd, &sb) < 0) return sys_error("stat " + name);
  if (S_ISDIR(sb.st_mode) || S_ISBLK(sb.st_mode))
    return Error{EINVAL, name + ": not a file, pipe or terminal", ErrorKind::kInvalidArgument};
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error("read " + name);
    if (n == 0) return out;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > max_bytes)
      return Error{EFBIG, name + ": larger than " + std::to_string(max_bytes >> 20) + " MiB",
                   ErrorKind::kInvalidArgument};
  }
}

Status write_file(const std::string& path, std::string_view data) {
  auto fd = open_file(path, O_WRONLY);
  if (!fd) return std::move(fd).error();
  ssize_t n = ::write(fd->get(), data.data(), data.size());
  if (n < 0) return sys_error("write " + path);
  if (static_cast<size_t>(n) != data.size()) return Error{EIO, "write " + path + ": short write"};
  return {};
}

Status create_file(const std::string& path, std::string_view data, mode_t mode) {
  auto fd = open_file(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, mode);
  if (!fd) return std::move(fd).error();
  while (!data.empty()) {
    ssize_t n = ::write(fd->get(), data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error("write " + path);
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

Status write_file_atomic(int dirfd, const std::string& name, std::string_view data, mode_t mode) {
  std::string tmp = "." + name + ".tmp";
  // A stale temp file (or anything planted under its name) is replaced, never
  // written through.
  ::unlinkat(dirfd, tmp.c_str(), 0);
  auto fd = open_at(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
  if (!fd) return std::move(fd).error();
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd->get(), data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      Error e = sys_error("write " + tmp);
      ::unlinkat(dirfd, tmp.c_str(), 0);
      return e;
    }
    off += static_cast<size_t>(n);
  }
  fd->reset();
  if (::renameat(dirfd, tmp.c_str(), dirfd, name.c_str()) < 0) {
    Error e = sys_error("rename " + tmp + " to " + name);
    ::unlinkat(dirfd, tmp.c_str(), 0);
    return e;
  }
  return {};
}

Status mkdir_all(const std::string& path, mode_t mode) {
  // Most parents exist: try the leaf first and walk up only on ENOENT, so a
  // deep path costs one mkdir, not one per component.
  if (::mkdir(path.c_str(), mode) == 0) return {};
  if (errno == ENOENT) {
    auto slash = path.find_last_of('/');
    if (slash != std::string::npos && slash != 0) BERTH_TRY(mkdir_all(path.substr(0, slash), mode));
    if (::mkdir(path.c_str(), mode) == 0 || errno == EEXIST) return {};
    return sys_error("mkdir " + path);
  }
  if (errno != EEXIST) return sys_error("mkdir " + path);
  // EEXIST also means "a file is there"; like mkdir -p, that is an error.
  struct stat sb;
  if (::stat(path.c_str(), &sb) == 0 && !S_ISDIR(sb.st_mode)) return sys_error("mkdir " + path, ENOTDIR);
  return {};
}

Status remove_all_at(int dirfd, const std::string& name) {
  if (::unlinkat(dirfd, name.c_str(), 0) == 0 || errno == ENOENT) return {};
  if (errno != EISDIR && errno != EPERM) return sys_error("unlink " + name);
  int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return sys_error("open " + name);
  // Never into a mount: a bind of a container's rootfs left mounted below a
  // state directory must fail the removal, not empty the rootfs.
  struct statx parent, self;
  if (::statx(dirfd, "", AT_EMPTY_PATH, STATX_MNT_ID, &parent) == 0 &&
      ::statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &self) == 0 && (parent.stx_mask & STATX_MNT_ID) &&
      (self.stx_mask & STATX_MNT_ID) && parent.stx_mnt_id != self.stx_mnt_id) {
    ::close(fd);
    return sys_error("remove " + name + ": a mount point", EBUSY);
  }
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    ::close(fd);
    return sys_error("opendir " + name);
  }
  Status st;
  while (struct dirent* ent = ::readdir(dir)) {
    std::string_view n = ent->d_name;
    if (n == "." || n == "..") continue;
    if (auto r = remove_all_at(fd, ent->d_name); !r && st) st = r;
  }
  ::closedir(dir);
  if (!st) return st;
  if (::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) < 0 && errno != ENOENT) return sys_error("rmdir " + name);
  return {};
}

bool path_exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

std::string path_join(std::string_view a, std::string_view b) {
  if (a.empty()) return std::string(b);
  std::string out(a);
  if (out.back() != '/') out += '/';
  while (!b.empty() && b.front() == '/') b.remove_prefix(1);
  out += b;
  return out;
}

std::string path_clean(std::string_view p) {
  bool abs = !p.empty() && p.front() == '/';
  std::vector<std::string> parts;
  for (auto& part : split(p, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!abs) {
        parts.push_back(part);
      }
      continue;
    }
    parts.push_back(part);
  }
  std::string out = abs ? "/" : "";
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += '/';
    out += parts[i];
  }
  if (out.empty()) out = ".";
  return out;
}

std::string format_rfc3339_nano(int64_t sec, long nsec) {
  time_t t = static_cast<time_t>(sec);
  struct tm tm;
  ::gmtime_r(&t, &tm);
  char buf[64];
  size_t n = ::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  // Go trims trailing zeros of the fraction in RFC3339Nano.
  if (nsec > 0) {
    char frac[32];
    std::snprintf(frac, sizeof frac, ".%09ld", nsec);
    size_t len = 10;
    while (len > 1 && frac[len - 1] == '0') --len;
    std::string out(buf, n);
    out.append(frac, len);
    return out + "Z";
  }
  return std::string(buf, n) + "Z";
}

std::string now_rfc3339_nano() {
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return format_rfc3339_nano(ts.tv_sec, ts.tv_nsec);
}

}  // namespace berth
