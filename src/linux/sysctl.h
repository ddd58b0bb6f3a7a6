// linux.sysctl: which keys a container may set, and writing them without
// ever reaching the host's.
#pragma once

#include <map>
#include <string>

#include "base/result.h"
#include "oci/spec.h"

namespace berth::lnx {

// Allows only keys that belong to a namespace the container really has
// (new, or joined by a path that is not berth's own), as runc does:
//   kernel.{msgmax,msgmnb,msgmni,sem,shmall,shmmax,shmmni,shm_rmid_forced}
//   and fs.mqueue.*       need an ipc namespace;
//   net.*                 a network namespace other than the runtime's;
//   kernel.domainname     a uts namespace (kernel.hostname never: the
//                         "hostname" field sets it).
// Anything else (kernel.core_pattern, vm.*, fs.* but mqueue) is global to
// the machine and refused. Keys are dotted or slash-separated; ".." or an
// empty component is refused. Runs before anything is made.
Status check_sysctls(const oci::Linux& lx);

// Writes each sysctl through the container's /proc, after pivot_root. /proc
// must be procfs; each file is opened below it without following a symlink
// or crossing a mount, and checked to be on procfs before the write, so a
// bind mount or a symlink planted at /proc/sys cannot redirect the write.
Status write_sysctls(const std::map<std::string, std::string>& sysctl);

}  // namespace berth::lnx
