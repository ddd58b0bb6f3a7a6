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

// As clone_child, but the child is born inside the user namespace userns_fd
// refers to, with its new namespaces owned by it: an intermediate process
// joins the user namespace, clones, reports the pid and exits. The child is
// then not berth's own (a subreaper inherits it when the intermediate exits).
// for_children: (fd, CLONE_NEWPID/NEWTIME) namespaces the intermediate enters
// for its child after the user namespace, so that the pid it reports is the
// one the host sees.
Result<Child> clone_child_in_userns(unsigned long flags, int cgroup_fd, int userns_fd,
                                    const std::vector<std::pair<int, int>>& for_children);

// Waits for the child of pidfd to exit and returns its wait status.
Result<int> wait_child(pid_t pid);

// Blocks every signal, so the next wait_forwarding_signals() takes them all
// synchronously. Call before clone_child(): the child inherits the mask and
// resets it before execve.
void block_signals();

// Forwards each signal berth receives to the child behind pidfd until the
// child pid exits, reaping other children on the way; returns its wait status.
int wait_forwarding_signals(pid_t pid, int pidfd);

// Converts a wait status into a shell-like exit code: the code, or 128+signal.
int exit_code_of(int wait_status);

}  // namespace berth::lnx
