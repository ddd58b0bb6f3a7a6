#include "containerd/rootfs.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "base/file.h"

namespace berth::containerd {

namespace {

// mount(8)'s flag words, as containerd's mount package reads a snapshot's
// options; the rest is the filesystem's data ("lowerdir=..."). Not the
// engine's parser (linux/mounts.h): that lives below the seam, which the
// shim does not link, and knows the spec's options (rro, idmap...) that a
// snapshot never carries.
struct Parsed {
  unsigned long flags = 0;
  std::string data;
};
Parsed parse_options(const std::vector<std::string>& options) {
  struct Word {
    const char* name;
    bool clear;
    unsigned long flag;
  };
  static const Word kWords[] = {
      {"ro", false, MS_RDONLY},
      {"rw", true, MS_RDONLY},
      {"bind", false, MS_BIND},
      {"rbind", false, MS_BIND | MS_REC},
      {"nosuid", false, MS_NOSUID},
      {"suid", true, MS_NOSUID},
      {"nodev", false, MS_NODEV},
      {"dev", true, MS_NODEV},
      {"noexec", false, MS_NOEXEC},
      {"exec", true, MS_NOEXEC},
      {"noatime", false, MS_NOATIME},
      {"relatime", false, MS_RELATIME},
      {"strictatime", false, MS_STRICTATIME},
      {"nodiratime", false, MS_NODIRATIME},
      {"sync", false, MS_SYNCHRONOUS},
      {"dirsync", false, MS_DIRSYNC},
      {"defaults", false, 0},
  };
  Parsed p;
  for (const auto& o : options) {
    bool known = false;
    for (const auto& w : kWords) {
      if (o != w.name) continue;
      known = true;
      p.flags = w.clear ? p.flags & ~w.flag : p.flags | w.flag;
    }
    if (known) continue;
    if (!p.data.empty()) p.data += ',';
    p.data += o;
  }
  return p;
}

}  // namespace

Status mount_rootfs(const std::string& bundle, const std::vector<MountSpec>& mounts) {
  if (mounts.empty()) return {};
  const std::string target = path_join(bundle, "rootfs");
  if (auto s = mkdir_all(target, 0711); !s) return std::move(s).error().wrap("create rootfs " + target);
  for (size_t i = 0; i < mounts.size(); i++) {
    const MountSpec& m = mounts[i];
    const Parsed o = parse_options(m.options);
    const unsigned long flags = o.flags | (m.type == "bind" ? MS_BIND : 0);
    const char* data = o.data.empty() ? nullptr : o.data.c_str();
    if (::mount(m.source.c_str(), target.c_str(), m.type.c_str(), flags & ~MS_RDONLY, data) < 0) {
      Error e = sys_error("mount " + m.type + " " + m.source + " on " + target);
      if (i > 0) unmount_rootfs(bundle);
      return e;
    }
    // Read-only comes with a remount (for a bind mount, only that way).
    const unsigned long remount = MS_REMOUNT | MS_RDONLY | (flags & MS_BIND);
    if ((flags & MS_RDONLY) && ::mount("", target.c_str(), "", remount, (flags & MS_BIND) ? nullptr : data) < 0) {
      Error e = sys_error("remount " + target + " read-only");
      unmount_rootfs(bundle);
      return e;
    }
  }
  return {};
}

void unmount_rootfs(const std::string& bundle) {
  const std::string target = path_join(bundle, "rootfs");
  // Stacked mounts come off one at a time; EINVAL: nothing mounted there.
  for (int i = 0; i < 64 && ::umount2(target.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) == 0; i++) {
  }
}

namespace {

Result<Fd> open_one(const std::string& name, bool input) {
  if (name.empty()) return Fd();
  if (name.rfind("file://", 0) == 0) {
    const std::string path = name.substr(7);
    if (input) return invalid("stdin " + name + ": a file:// stdin is not supported");
    return open_file(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  }
  if (name.find("://") != std::string::npos)
    return make_error(ErrorKind::kNotImplemented, "stdio " + name + ": only fifos and file:// are supported");
  // O_RDWR on a fifo never waits for the other end.
  return open_file(name, O_RDWR | O_CLOEXEC | O_NOCTTY);
}

}  // namespace

Result<StdioFds> open_stdio(const std::string& in, const std::string& out, const std::string& err) {
  StdioFds f;
  auto i = open_one(in, true);
  if (!i) return std::move(i).error();
  auto o = open_one(out, false);
  if (!o) return std::move(o).error();
  auto e = open_one(err, false);
  if (!e) return std::move(e).error();
  f.in = std::move(*i);
  f.out = std::move(*o);
  f.err = std::move(*e);
  return f;
}

}  // namespace berth::containerd
