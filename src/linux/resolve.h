// Opening paths a container can influence without leaving the place they are
// meant to stay in.
//
// Both functions use openat2(2) where the kernel has it and a seccomp profile
// allows it; otherwise (kernels before 5.6, or ENOSYS/EPERM from a filter)
// they walk the path one component at a time with O_NOFOLLOW, each step
// opened relative to the fd of the step before, so a rename or a swapped
// symlink elsewhere cannot lead outside. The walk is the same contract, not
// a weaker one: tests run the mount and exploit scenarios both ways.
#pragma once

#include <string>

#include "base/fd.h"
#include "base/result.h"

namespace berth::lnx {

// Opens path below root (an O_PATH dirfd of the rootfs) with symlinks resolved
// as if root were "/" (RESOLVE_IN_ROOT): absolute symlinks and ".." stop at
// root, magic links (/proc/self/root) are not jumped through.
Result<Fd> open_in_root(int root, const std::string& path, int flags);

// Opens rel below dir following no symlink at all and crossing no mount
// (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV); a ".." that
// would leave dir is refused.
// For files whose every step the caller expects on one file system (sysctls
// below /proc/sys).
Result<Fd> open_beneath(int dir, const std::string& rel, int flags);

// Test hook: true forces the component walk even where openat2 works.
void force_resolve_walk(bool on);

}  // namespace berth::lnx
