// Keeping the berth binary out of reach of the containers it runs
// (the CVE-2019-5736 class).
//
// Between clone and execve, berth's own code runs inside the container, and
// a process there can reach the binary through /proc/<pid>/exe (or make
// berth exec it again with "#!/proc/self/exe") and, once berth has exited,
// reopen it for writing and replace the host's runtime. berth closes this by
// running, for every command that enters a container, from a read-only,
// detached bind mount of itself: open_tree(OPEN_TREE_CLONE) of /proc/self/exe,
// mount_setattr(MOUNT_ATTR_RDONLY), execveat. The mount is never attached
// anywhere, so a crash leaves nothing to clean up, and any write through it
// fails with EROFS. crun does the same with an attached temporary mount;
// runc copies itself into a sealed memfd, which is berth's fallback on
// kernels without mount_setattr.
#pragma once

#include "base/result.h"

namespace berth::lnx {

// Re-executes argv from a read-only detached mount of the running binary,
// unless the binary is already on a read-only mount (a re-executed berth, or
// one installed on a read-only file system), in which case it returns. Only
// returns an error when the re-exec itself fails; without the privilege to
// make mounts (rootless), it returns having done nothing: an unprivileged
// container cannot write a binary its user does not own.
Status reexec_from_read_only_self(char** argv);

}  // namespace berth::lnx
