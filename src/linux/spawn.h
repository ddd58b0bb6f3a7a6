// Creating the container's init with clone3(2).
#pragma once

#include <sys/types.h>

#include <utility>
#include <vector>

#include "base/fd.h"
#include "base/result.h"

namespace berth::lnx {

struct Child {
  pid_t pid = 0;  // 0 in the child
  Fd pidfd;       // the parent's handle: signals and waits without pid reuse races
};

// Forks like fork(2) but with clone `flags` (CLONE_NEW*) and, when
// cgroup_fd >= 0, straight into that cgroup v2 directory (CLONE_INTO_CGROUP).
// Returns pid 0 in the child. Falls back to clone(2) where clone3 is missing.
// The caller must be single-threaded: the child continues on a copy of it.
Result<Child> clone_child(unsigned long flags, int cgroup_fd = -1);

// As clone_child, but through an intermediate process that first joins
// namespaces by fd, then clones, reports the pid and exits: the child's new
// namespaces are then owned by a joined user namespace (userns_fd >= 0), and
// a new user namespace can own the child while it sits in namespaces joined
// by path that belong to the host's (runc joins before it unshares, too).
// The child is not berth's own (a subreaper inherits it).
//   joins: (fd, CLONE_NEW*) entered by the intermediate itself, after the user
//          namespace; for_children: pid/time namespaces entered for its child,
//          so the pid it reports is the one the host sees.
Result<Child> clone_child_via(unsigned long flags, int cgroup_fd, int userns_fd,
                              const std::vector<std::pair<int, int>>& joins,
                              const std::vector<std::pair<int, int>>& for_children);

// Waits for the child of pidfd to exit and returns its wait status.
Result<int> wait_child(pid_t pid);

}  // namespace berth::lnx
