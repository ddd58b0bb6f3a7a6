#include "linux/devices.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/file.h"
#include "linux/mounts.h"

namespace berth::lnx {

const std::vector<oci::Device>& default_devices() {
  static const std::vector<oci::Device> devs = [] {
    std::vector<oci::Device> d;
    auto add = [&](const char* path, int64_t major, int64_t minor) {
      oci::Device dev;
      dev.type = "c";
      dev.path = path;
      dev.major = major;
      dev.minor = minor;
      dev.file_mode = 0666;
      dev.uid = 0;
      dev.gid = 0;
      d.push_back(dev);
    };
    add("/dev/null", 1, 3);
    add("/dev/zero", 1, 5);
    add("/dev/full", 1, 7);
    add("/dev/random", 1, 8);
    add("/dev/urandom", 1, 9);
    add("/dev/tty", 5, 0);
    return d;
  }();
  return devs;
}

namespace {

mode_t type_bits(const std::string& type) {
  if (type == "b") return S_IFBLK;
  if (type == "p") return S_IFIFO;
  return S_IFCHR;  // "c" and "u"
}

// Opens name in dir without following it and checks it is the node just
// made: a file of type `type` (and device number `dev` for a device).
Result<Fd> open_node(int dir, const std::string& name, mode_t type, dev_t dev, const std::string& path) {
  auto fd = open_at(dir, name, O_PATH | O_NOFOLLOW);
  if (!fd) return std::move(fd).error();
  struct stat sb;
  if (::fstat(fd->get(), &sb) < 0) return sys_error("stat " + path);
  bool device = type == S_IFCHR || type == S_IFBLK;
  if ((sb.st_mode & S_IFMT) != type || (device && sb.st_rdev != dev))
    return sys_error(path + " was replaced while it was being made", EEXIST);
  return fd;
}

Status create_device(int root, const oci::Device& d, bool userns) {
  std::string clean = path_clean(d.path);
  auto slash = clean.rfind('/');
  std::string dir = slash == 0 ? "/" : clean.substr(0, slash);
  std::string name = clean.substr(slash + 1);
  auto parent = make_in_root(root, dir, false, 0755);
  if (!parent) return std::move(parent).error();
  int pfd = parent->get();
  mode_t perm = d.file_mode.value_or(0666) & 07777;
  // An image may ship its own node or symlink here: ours replaces it.
  if (::unlinkat(pfd, name.c_str(), 0) < 0 && errno != ENOENT && errno != EISDIR)
    return sys_error("remove old " + d.path);
  if (userns) {
    int f = ::openat(pfd, name.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0);
    if (f < 0) return sys_error("create " + d.path);
    ::close(f);
    auto target = open_node(pfd, name, S_IFREG, 0, d.path);
    if (!target) return std::move(target).error();
    if (::mount(d.path.c_str(), fd_path(target->get()).c_str(), nullptr, MS_BIND, nullptr) < 0)
      return sys_error("bind " + d.path);
    return {};
  }
  dev_t dev = ::makedev(static_cast<unsigned>(d.major), static_cast<unsigned>(d.minor));
  if (d.type == "p") dev = 0;
  if (::mknodat(pfd, name.c_str(), type_bits(d.type) | perm, dev) < 0) return sys_error("mknod " + d.path);
  // From here on only the node we made is touched, through an fd: the name
  // may already be someone else's symlink (a rootfs shared with another
  // container), and chmod by name would follow it to a host file.
  auto node = open_node(pfd, name, type_bits(d.type), dev, d.path);
  if (!node) return std::move(node).error();
  // mknod honours the umask; set the mode the spec asked for exactly.
  if (::chmod(fd_path(node->get()).c_str(), perm) < 0) return sys_error("chmod " + d.path);
  if (::fchownat(node->get(), "", d.uid.value_or(0), d.gid.value_or(0), AT_EMPTY_PATH) < 0)
    return sys_error("chown " + d.path);
  return {};
}

}  // namespace

Status create_devices(int root, const std::vector<oci::Device>& devices, bool userns) {
  for (const auto& d : devices) BERTH_TRY(create_device(root, d, userns));
  return {};
}

Status create_dev_symlinks(int root) {
  auto dev = make_in_root(root, "/dev", false, 0755);
  if (!dev) return std::move(dev).error();
  struct Link {
    const char* target;
    const char* name;
  };
  static constexpr Link kLinks[] = {{"/proc/self/fd", "fd"},
                                    {"/proc/self/fd/0", "stdin"},
                                    {"/proc/self/fd/1", "stdout"},
                                    {"/proc/self/fd/2", "stderr"},
                                    {"pts/ptmx", "ptmx"}};
  for (const auto& l : kLinks) {
    // A device the spec created under this name wins, like in runc.
    if (::symlinkat(l.target, dev->get(), l.name) < 0 && errno != EEXIST)
      return sys_error(std::string("symlink /dev/") + l.name);
  }
  if (::access("/proc/kcore", F_OK) == 0 && ::symlinkat("/proc/kcore", dev->get(), "core") < 0 && errno != EEXIST)
    return sys_error("symlink /dev/core");
  return {};
}

}  // namespace berth::lnx
