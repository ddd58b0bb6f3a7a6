#include "linux/mounts.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <climits>
#include <cstring>
#include <string_view>

#include "base/file.h"
#include "base/log.h"
#include "linux/cgroup_mount.h"
#include "linux/lsm.h"

namespace berth::lnx {

namespace {

struct FlagOption {
  const char* name;
  bool clear;
  unsigned long flag;
};

// clang-format off
constexpr FlagOption kFlags[] = {
    {"ro", false, MS_RDONLY},          {"rw", true, MS_RDONLY},
    {"nosuid", false, MS_NOSUID},      {"suid", true, MS_NOSUID},
    {"nodev", false, MS_NODEV},        {"dev", true, MS_NODEV},
    {"noexec", false, MS_NOEXEC},      {"exec", true, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},   {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},    {"remount", false, MS_REMOUNT},
    {"mand", false, MS_MANDLOCK},      {"nomand", true, MS_MANDLOCK},
    {"noatime", false, MS_NOATIME},    {"atime", true, MS_NOATIME},
    {"nodiratime", false, MS_NODIRATIME}, {"diratime", true, MS_NODIRATIME},
    {"relatime", false, MS_RELATIME},  {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME}, {"nostrictatime", true, MS_STRICTATIME},
    {"lazytime", false, MS_LAZYTIME},  {"nolazytime", true, MS_LAZYTIME},
    {"nosymfollow", false, MS_NOSYMFOLLOW}, {"symfollow", true, MS_NOSYMFOLLOW},
    {"silent", false, MS_SILENT},      {"loud", true, MS_SILENT},
    {"iversion", false, MS_I_VERSION}, {"noiversion", true, MS_I_VERSION},
    {"bind", false, MS_BIND},          {"rbind", false, MS_BIND | MS_REC},
};

constexpr FlagOption kPropagation[] = {
    {"private", false, MS_PRIVATE},       {"rprivate", false, MS_PRIVATE | MS_REC},
    {"shared", false, MS_SHARED},         {"rshared", false, MS_SHARED | MS_REC},
    {"slave", false, MS_SLAVE},           {"rslave", false, MS_SLAVE | MS_REC},
    {"unbindable", false, MS_UNBINDABLE}, {"runbindable", false, MS_UNBINDABLE | MS_REC},
};

struct AttrOption {
  const char* name;
  bool clear;
  uint64_t attr;
};

// Recursive variants, applied with mount_setattr(AT_RECURSIVE).
constexpr AttrOption kAttrs[] = {
    {"rro", false, MOUNT_ATTR_RDONLY},         {"rrw", true, MOUNT_ATTR_RDONLY},
    {"rnosuid", false, MOUNT_ATTR_NOSUID},     {"rsuid", true, MOUNT_ATTR_NOSUID},
    {"rnodev", false, MOUNT_ATTR_NODEV},       {"rdev", true, MOUNT_ATTR_NODEV},
    {"rnoexec", false, MOUNT_ATTR_NOEXEC},     {"rexec", true, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", false, MOUNT_ATTR_NODIRATIME}, {"rdiratime", true, MOUNT_ATTR_NODIRATIME},
    {"rnosymfollow", false, MOUNT_ATTR_NOSYMFOLLOW}, {"rsymfollow", true, MOUNT_ATTR_NOSYMFOLLOW},
};

// The atime modes are one field, not bits: setting one clears the others.
constexpr AttrOption kAtimeAttrs[] = {
    {"rrelatime", false, MOUNT_ATTR_RELATIME}, {"rnoatime", false, MOUNT_ATTR_NOATIME},
    {"rstrictatime", false, MOUNT_ATTR_STRICTATIME},
    {"rnorelatime", false, MOUNT_ATTR_STRICTATIME}, {"ratime", false, MOUNT_ATTR_STRICTATIME},
};
// clang-format on

// Options berth handles itself or that only other runtimes understand; never
// passed to the kernel as filesystem data.
constexpr const char* kIgnored[] = {"defaults", "auto", "noauto", "user", "nouser", "_netdev", "x-systemd.automount"};

}  // namespace

bool MountOptions::bind() const { return (flags & MS_BIND) != 0; }

MountOptions parse_mount_options(const std::vector<std::string>& options) {
  MountOptions o;
  for (const auto& opt : options) {
    bool known = false;
    for (const auto& f : kFlags) {
      if (opt == f.name) {
        o.flags = f.clear ? (o.flags & ~f.flag) : (o.flags | f.flag);
        known = true;
      }
    }
    for (const auto& f : kPropagation) {
      if (opt == f.name) {
        o.propagation = f.flag;
        known = true;
      }
    }
    for (const auto& a : kAttrs) {
      if (opt == a.name) {
        if (a.clear) {
          o.attr_clr |= a.attr;
          o.attr_set &= ~a.attr;
        } else {
          o.attr_set |= a.attr;
          o.attr_clr &= ~a.attr;
        }
        known = true;
      }
    }
    for (const auto& a : kAtimeAttrs) {
      if (opt == a.name) {
        o.attr_clr |= MOUNT_ATTR__ATIME;
        o.attr_set = (o.attr_set & ~MOUNT_ATTR__ATIME) | a.attr;
        known = true;
      }
    }
    for (const char* ign : kIgnored)
      if (opt == ign) known = true;
    if (opt == "idmap" || opt == "ridmap") {
      o.idmap_recursive = opt == "ridmap";
      known = true;
    }
    if (opt == "tmpcopyup") {
      o.tmpcopyup = true;
      known = true;
    }
    if (!known) {
      if (!o.data.empty()) o.data += ',';
      o.data += opt;
    }
  }
  return o;
}

namespace {

// make_in_root, following at most `links` more dangling symlinks.
Result<Fd> make_in_root_following(int root, const std::string& path, bool file, mode_t mode, int links) {
  if (auto fd = open_in_root(root, path, O_PATH); fd || fd.error().code != ENOENT) return fd;
  auto parts = split(path_clean(path), '/');
  std::string prefix;
  Fd parent;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].empty()) continue;
    std::string next = prefix + "/" + parts[i];
    auto fd = open_in_root(root, next, O_PATH);
    if (!fd && fd.error().code == ENOENT) {
      auto dir = open_in_root(root, prefix.empty() ? "/" : prefix, O_PATH | O_DIRECTORY);
      if (!dir) return std::move(dir).error();
      bool last = i + 1 == parts.size();
      // A symlink to what does not exist yet (/var/run -> /run in an image
      // without /run): its target is made, inside the root, as runc does.
      char link[PATH_MAX];
      ssize_t n = ::readlinkat(dir->get(), parts[i].c_str(), link, sizeof link - 1);
      if (n > 0) {
        if (links == 0) return Error{ELOOP, "make " + next + " in container root: too many levels of symbolic links"};
        std::string target(link, static_cast<size_t>(n));
        target = path_clean(target[0] == '/' ? target : prefix + "/" + target);
        auto made = make_in_root_following(root, target, last && file, mode, links - 1);
        if (!made) return std::move(made).error();
      } else if (last && file) {
        int f = ::openat(dir->get(), parts[i].c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode);
        if (f < 0 && errno != EEXIST) return sys_error("create " + next + " in container root");
        if (f >= 0) ::close(f);
      } else if (::mkdirat(dir->get(), parts[i].c_str(), mode) < 0 && errno != EEXIST) {
        return sys_error("mkdir " + next + " in container root");
      }
      fd = open_in_root(root, next, O_PATH);
    }
    if (!fd) return std::move(fd).error();
    parent = std::move(*fd);
    prefix = next;
  }
  if (!parent) return open_in_root(root, "/", O_PATH);
  return parent;
}

}  // namespace

Result<Fd> make_in_root(int root, const std::string& path, bool file, mode_t mode) {
  return make_in_root_following(root, path, file, mode, 40);  // the kernel's MAXSYMLINKS
}

std::string fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

Status remount(int target, unsigned long flags) {
  // In a user namespace the kernel refuses to clear nodev/nosuid/noexec/atime
  // flags it locked on the original mount: carry them over.
  struct statvfs sv;
  unsigned long keep = 0;
  if (::fstatvfs(target, &sv) == 0) {
    keep = sv.f_flag & (ST_NODEV | ST_NOSUID | ST_NOEXEC | ST_NOATIME | ST_NODIRATIME | ST_RELATIME);
  }
  unsigned long mflags = MS_REMOUNT | MS_BIND | flags;
  if (keep & ST_NODEV) mflags |= MS_NODEV;
  if (keep & ST_NOSUID) mflags |= MS_NOSUID;
  if (keep & ST_NOEXEC) mflags |= MS_NOEXEC;
  if ((flags & (MS_NOATIME | MS_RELATIME | MS_STRICTATIME)) == 0) {
    if (keep & ST_NOATIME) mflags |= MS_NOATIME;
    if (keep & ST_RELATIME) mflags |= MS_RELATIME;
  }
  if (keep & ST_NODIRATIME) mflags |= MS_NODIRATIME;
  if (::mount(nullptr, fd_path(target).c_str(), nullptr, mflags, nullptr) < 0) return sys_error("remount");
  return {};
}

namespace {

// Files below /proc that lxcfs emulates with bind mounts: the only mounts
// runc allows inside /proc, and so does berth.
constexpr const char* kProcFiles[] = {"/proc/cpuinfo",
                                      "/proc/diskstats",
                                      "/proc/meminfo",
                                      "/proc/stat",
                                      "/proc/swaps",
                                      "/proc/uptime",
                                      "/proc/loadavg",
                                      "/proc/slabinfo",
                                      "/proc/sys/kernel/ns_last_pid",
                                      "/proc/sys/crypto/fips_enabled"};

// Where target (an fd below root) is, as the container will see it.
std::string path_in_root(int root, int target) {
  auto link = [](int fd) {
    char buf[PATH_MAX];
    ssize_t n = ::readlink(fd_path(fd).c_str(), buf, sizeof buf - 1);
    return std::string(buf, n > 0 ? static_cast<size_t>(n) : 0);
  };
  std::string r = link(root), t = link(target);
  if (t == r) return "/";
  if (r == "/") return t;
  if (t.starts_with(r + "/")) return t.substr(r.size());
  return t;  // outside root: cannot happen with open_in_root; never below /proc either
}

// Nothing but procfs may be mounted at /proc, and nothing below it but the
// lxcfs files: a bind of an ordinary directory at /proc or /proc/sys would
// let an image decide where berth's sysctl writes and masks land (the
// CVE-2025-52881 class). dest is the resolved destination; src the bind
// source (-1 when not a bind).
Status check_proc_mount(const std::string& dest, const oci::Mount& m, int src) {
  if (dest != "/proc" && !dest.starts_with("/proc/")) return {};
  if (dest == "/proc") {
    struct statfs fs;
    if (src < 0 && m.type == "proc") return {};
    if (src >= 0 && ::fstatfs(src, &fs) == 0 && fs.f_type == PROC_SUPER_MAGIC) return {};
    return invalid("/proc cannot be mounted because it is not of type proc");
  }
  for (const char* f : kProcFiles)
    if (dest == f) return {};
  return invalid(dest + " cannot be mounted because it is inside /proc");
}

Status set_propagation_and_attrs(int root, const oci::Mount& m, const MountOptions& o) {
  if (o.propagation == 0 && o.attr_set == 0 && o.attr_clr == 0) return {};
  auto target = open_in_root(root, m.destination, O_PATH);
  if (!target) return std::move(target).error();
  if (o.propagation != 0 && ::mount(nullptr, fd_path(target->get()).c_str(), nullptr, o.propagation, nullptr) < 0)
    return sys_error("set propagation of " + m.destination);
  if (o.attr_set != 0 || o.attr_clr != 0) {
    struct mount_attr attr;
    std::memset(&attr, 0, sizeof attr);
    attr.attr_set = o.attr_set;
    attr.attr_clr = o.attr_clr;
    if (::syscall(SYS_mount_setattr, target->get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
      return sys_error("mount_setattr " + m.destination);
  }
  return {};
}

// An idmapped bind: a detached copy of the source tree, its ids mapped
// through userns, moved onto the target.
Status idmapped_bind(int src, int target, const MountOptions& o, int userns) {
  unsigned tree_flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | ((o.flags & MS_REC) ? AT_RECURSIVE : 0);
  Fd tree(static_cast<int>(::syscall(SYS_open_tree, src, "", tree_flags)));
  if (!tree) return sys_error("open_tree");
  struct mount_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.attr_set = MOUNT_ATTR_IDMAP;
  attr.userns_fd = static_cast<uint64_t>(userns);
  if (::syscall(SYS_mount_setattr, tree.get(), "", AT_EMPTY_PATH | (o.idmap_recursive ? AT_RECURSIVE : 0), &attr,
                sizeof attr) < 0)
    return sys_error("idmap the mount (mount_setattr)");
  if (::syscall(SYS_move_mount, tree.get(), "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return sys_error("move_mount");
  return {};
}

std::string bind_source(const oci::Mount& m, const std::string& bundle) {
  return m.source.empty() || m.source[0] == '/' ? m.source : path_join(bundle, m.source);
}

Status bind_mount(int root, const oci::Mount& m, const MountOptions& o, const std::string& bundle, int userns,
                  int tree) {
  std::string source = bind_source(m, bundle);
  Result<Fd> src = tree >= 0 ? Fd(::fcntl(tree, F_DUPFD_CLOEXEC, 0)) : open_file(source, O_PATH);
  if (!src || !*src) return (src ? sys_error("dup") : std::move(src).error()).wrap("bind source");
  struct stat sb;
  if (::fstat(src->get(), &sb) < 0) return sys_error("stat " + source);
  BERTH_TRY(check_proc_mount(path_clean(m.destination), m, src->get()));
  auto target = make_in_root(root, m.destination, !S_ISDIR(sb.st_mode), 0755);
  if (!target) return std::move(target).error();
  BERTH_TRY(check_proc_mount(path_in_root(root, target->get()), m, src->get()));
  if (userns >= 0) {
    BERTH_TRY(idmapped_bind(src->get(), target->get(), o, userns));
  } else if (tree >= 0) {
    if (::syscall(SYS_move_mount, tree, "", target->get(), "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
      return sys_error("bind " + source + " (move_mount)");
  } else if (::mount(fd_path(src->get()).c_str(), fd_path(target->get()).c_str(), nullptr, MS_BIND | (o.flags & MS_REC),
                     nullptr) < 0) {
    return sys_error("bind " + source);
  }
  unsigned long rest = o.flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
  if (rest != 0) {
    // Bind mounts ignore other flags: apply them with a remount of the new mount.
    auto mounted = open_in_root(root, m.destination, O_PATH);
    if (!mounted) return std::move(mounted).error();
    BERTH_TRY(remount(mounted->get(), rest));
  }
  return set_propagation_and_attrs(root, m, o);
}

}  // namespace

Result<Fd> clone_bind_source(const oci::Mount& m, const std::string& bundle) {
  MountOptions o = parse_mount_options(m.options);
  bool idmap = !m.uid_mappings.empty() || !m.gid_mappings.empty();
  if ((m.type != "bind" && !o.bind()) || idmap) return Fd();
  std::string source = bind_source(m, bundle);
  unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | ((o.flags & MS_REC) ? AT_RECURSIVE : 0);
  long raw = ::syscall(SYS_open_tree, AT_FDCWD, source.c_str(), flags);
  // Cloning a mount needs CAP_SYS_ADMIN over berth's own mount namespace: an
  // ordinary user (rootless) has not, and reaches its sources as itself.
  if (raw < 0 && errno == EPERM) return Fd();
  if (raw < 0) return sys_error("bind source " + source);
  Fd fd(static_cast<int>(raw));
  // The copy would be a peer of a shared source: made a slave, so mounts the
  // container makes below it never propagate back to the host, as with a
  // bind made inside the container's (slave) mount namespace.
  struct mount_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.propagation = MS_SLAVE;
  if (::syscall(SYS_mount_setattr, fd.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0) {
    attr.propagation = MS_PRIVATE;  // a source that is not shared cannot be a slave
    if (::syscall(SYS_mount_setattr, fd.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
      return sys_error("bind source " + source + ": make the copy a slave");
  }
  return fd;
}

Status mount_entry(int root, const oci::Mount& m, const MountContext& ctx, int userns_fd, int tree_fd) {
  MountOptions o = parse_mount_options(m.options);
  std::string what = "mount " + (m.source.empty() ? m.type : m.source) + " on " + m.destination;
  if (debug_enabled()) {
    std::string options;
    for (const auto& opt : m.options) options += (options.empty() ? " options " : ",") + opt;
    log_debug("init: " + what + (m.type.empty() ? "" : " (" + m.type + ")") + options);
  }
  if (m.type == "bind" || o.bind()) {
    if (m.type == "bind") o.flags |= MS_BIND;
    if (auto r = bind_mount(root, m, o, ctx.bundle, userns_fd, tree_fd); !r) return std::move(r).error().wrap(what);
    return {};
  }
  if (userns_fd >= 0) return invalid(what + ": uidMappings/gidMappings need a bind mount");
  if (auto r = check_proc_mount(path_clean(m.destination), m, -1); !r) return std::move(r).error().wrap(what);
  if (m.type == "cgroup") {
    if (ctx.before_cgroup) {
      if (auto r = ctx.before_cgroup(); !r) return std::move(r).error().wrap(what);
    }
    if (auto r = mount_cgroup(root, m.destination, o.flags, ctx.new_cgroup_ns); !r)
      return std::move(r).error().wrap(what);
    return {};
  }
  auto target = make_in_root(root, m.destination, false, 0755);
  if (!target) return std::move(target).error().wrap(what);
  if (auto r = check_proc_mount(path_in_root(root, target->get()), m, -1); !r) return std::move(r).error().wrap(what);
  // File systems berth makes for the container carry its SELinux context.
  if (m.type == "tmpfs" || m.type == "devpts" || m.type == "mqueue") o.data = with_mount_label(o.data, ctx.mount_label);
  if (m.type == "proc" || m.type == "sysfs") {
    // Never mount procfs or sysfs over a symlink or a file the image planted.
    struct stat sb;
    auto exact = open_in_root(root, m.destination, O_PATH | O_NOFOLLOW);
    if (!exact || ::fstat(exact->get(), &sb) < 0 || !S_ISDIR(sb.st_mode))
      return invalid(what + ": destination is not a directory");
  }
  Fd original;
  if (o.tmpcopyup) {
    if (m.type != "tmpfs") return invalid(what + ": tmpcopyup needs a tmpfs");
    auto dir = open_in_root(root, m.destination, O_RDONLY | O_DIRECTORY);
    if (!dir) return std::move(dir).error().wrap(what);
    original = std::move(*dir);
  }
  // With tmpcopyup the tmpfs stays writable until the copy is in; /dev until
  // its devices and links are made (finish_rootfs makes it read-only).
  bool late_ro = original || path_clean(m.destination) == "/dev";
  unsigned long flags = o.flags & ~(MS_REMOUNT | (late_ro ? MS_RDONLY : 0));
  if (::mount(m.source.c_str(), fd_path(target->get()).c_str(), m.type.c_str(), flags,
              o.data.empty() ? nullptr : o.data.c_str()) < 0)
    return sys_error(what);
  if (original) {
    // The image's files, copied into the new tmpfs before anything runs.
    auto fresh = open_in_root(root, m.destination, O_RDONLY | O_DIRECTORY);
    if (!fresh) return std::move(fresh).error().wrap(what);
    if (auto r = copy_tree(original.get(), fresh->get()); !r) return std::move(r).error().wrap(what + ": tmpcopyup");
    if (o.flags & MS_RDONLY) {
      if (auto r = remount(fresh->get(), o.flags & ~(MS_BIND | MS_REC | MS_REMOUNT)); !r)
        return std::move(r).error().wrap(what);
    }
  }
  if (auto r = set_propagation_and_attrs(root, m, o); !r) return std::move(r).error().wrap(what);
  return {};
}

}  // namespace berth::lnx

namespace berth::lnx {

Status copy_tree(int from, int to) {
  int dup_fd = ::dup(from);
  if (dup_fd < 0) return sys_error("dup");
  DIR* dir = ::fdopendir(dup_fd);
  if (dir == nullptr) {
    ::close(dup_fd);
    return sys_error("opendir");
  }
  Status st;
  while (struct dirent* e = ::readdir(dir)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat sb;
    if (::fstatat(from, name.c_str(), &sb, AT_SYMLINK_NOFOLLOW) < 0) {
      st = sys_error("stat " + name);
      break;
    }
    if (S_ISDIR(sb.st_mode)) {
      if (::mkdirat(to, name.c_str(), sb.st_mode & 07777) < 0 && errno != EEXIST) {
        st = sys_error("mkdir " + name);
        break;
      }
      Fd sub_from(::openat(from, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      Fd sub_to(::openat(to, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub_from || !sub_to) {
        st = sys_error("open " + name);
        break;
      }
      if (auto r = copy_tree(sub_from.get(), sub_to.get()); !r) {
        st = std::move(r).error().wrap(name);
        break;
      }
    } else if (S_ISLNK(sb.st_mode)) {
      char target[4096];
      ssize_t n = ::readlinkat(from, name.c_str(), target, sizeof target - 1);
      if (n < 0) {
        st = sys_error("readlink " + name);
        break;
      }
      target[n] = '\0';
      if (::symlinkat(target, to, name.c_str()) < 0) {
        st = sys_error("symlink " + name);
        break;
      }
    } else if (S_ISREG(sb.st_mode)) {
      Fd in(::openat(from, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
      Fd out(::openat(to, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, sb.st_mode & 07777));
      if (!in || !out) {
        st = sys_error("copy " + name);
        break;
      }
      char buf[65536];
      ssize_t n;
      while ((n = ::read(in.get(), buf, sizeof buf)) > 0) {
        if (::write(out.get(), buf, static_cast<size_t>(n)) != n) {
          n = -1;
          break;
        }
      }
      if (n < 0) {
        st = sys_error("copy " + name);
        break;
      }
    } else {
      if (::mknodat(to, name.c_str(), sb.st_mode, sb.st_rdev) < 0) {
        st = sys_error("mknod " + name);
        break;
      }
    }
    (void)::fchownat(to, name.c_str(), sb.st_uid, sb.st_gid, AT_SYMLINK_NOFOLLOW);
    if (!S_ISLNK(sb.st_mode)) (void)::fchmodat(to, name.c_str(), sb.st_mode & 07777, 0);
  }
  ::closedir(dir);
  return st;
}

}  // namespace berth::lnx
