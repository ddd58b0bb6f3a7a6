// Mount options and mounting inside a container's root without leaving it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/fd.h"
#include "base/result.h"
#include "linux/resolve.h"
#include "oci/spec.h"

namespace berth::lnx {

// A mount's options turned into what mount(2) and mount_setattr(2) take.
struct MountOptions {
  unsigned long flags = 0;        // MS_RDONLY, MS_NOSUID, ... (MS_BIND, MS_REC)
  unsigned long propagation = 0;  // MS_SHARED | MS_REC, ... applied after mounting
  uint64_t attr_set = 0;          // MOUNT_ATTR_* from "rro", "rnosuid", ... (recursive)
  uint64_t attr_clr = 0;
  std::string data;              // options the kernel's filesystem parses: "mode=755,size=64k"
  bool idmap_recursive = false;  // "ridmap": idmap every mount of an rbind
  bool tmpcopyup = false;        // copy the image's directory into the new tmpfs
  bool bind() const;
};

// Parses the spec's option strings. Unknown options become filesystem data,
// as runc does.
MountOptions parse_mount_options(const std::vector<std::string>& options);

// Creates path below root (mkdir -p, or an empty file as its last component
// when file is true), each step resolved inside root; a step that is a
// symlink to nothing gets its target made (inside root), as runc does.
// Returns an O_PATH fd.
Result<Fd> make_in_root(int root, const std::string& path, bool file, mode_t mode);

// "/proc/self/fd/N": a name for an fd's file that mount(2) accepts.
std::string fd_path(int fd);

// What mounting needs to know about the container beyond the entry itself.
struct MountContext {
  std::string bundle;          // resolves relative bind sources
  bool new_cgroup_ns = false;  // cgroup mounts show the namespace's root
  // Called before each cgroup mount: a cgroup mount shows the cgroups the
  // process is in (and its cgroup namespace's root), so it must be in the
  // container's first.
  std::function<Status()> before_cgroup;
  std::string mount_label;  // linux.mountLabel: SELinux context of new file systems
  // Per spec mount, the user namespace of an idmapped mount (-1: none).
  std::vector<int> idmap_userns;
  // Per spec mount, a detached copy of a bind source made by the runtime
  // (clone_bind_source), or -1: the init mounts it instead of its path.
  std::vector<int> bind_trees;
};

// For a container with a user namespace: a detached copy of bind mount m's
// source (open_tree OPEN_TREE_CLONE), made with the runtime's rights before
// the init exists, as runc opens bind sources in the runtime. The init,
// root only inside its user namespace, could not reach a source below a
// directory it may not search (0700 and owned by the host's root); it
// attaches the copy with move_mount instead. An fd of -1 (no error) when m
// is not a bind mount or is idmapped.
Result<Fd> clone_bind_source(const oci::Mount& m, const std::string& bundle);

// Mounts one spec entry below rootfs (an O_PATH fd of the rootfs directory).
// userns_fd >= 0 makes a bind mount idmapped through that user namespace;
// tree_fd >= 0 is the bind source cloned by clone_bind_source.
Status mount_entry(int rootfs, const oci::Mount& m, const MountContext& ctx, int userns_fd = -1, int tree_fd = -1);

// Copies the tree below from (files, directories, symlinks, with modes and
// owners) into to, without following symlinks.
Status copy_tree(int from, int to);

// Remounts the mount at target (an fd from open_in_root) with flags, keeping
// the flags the kernel locks (nodev, nosuid, noexec, atime) in user namespaces.
Status remount(int target, unsigned long flags);

}  // namespace berth::lnx
