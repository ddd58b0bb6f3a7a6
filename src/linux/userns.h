// User namespaces made only to carry id mappings (idmapped mounts).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/fd.h"
#include "base/result.h"
#include "oci/spec.h"

namespace berth::lnx {

// True when berth runs in a user namespace other than the initial one (its
// uid_map is not the identity "0 0 4294967295"), as rootless podman runs
// it: uid 0 there is not the host's root, so cgroups may not be made and
// device nodes must be bind-mounted, as for a non-root user. runc's test.
bool in_user_namespace();

// "containerID hostID size\n" lines, as /proc/PID/uid_map takes them.
std::string id_map_text(const std::vector<oci::IdMapping>& maps);

// Writes the id maps of the user namespace of process pid.
//   root:        /proc/PID/uid_map and gid_map directly;
//   other users: the same when the maps are the caller's own uid and gid
//                alone (after "deny" to /proc/PID/setgroups, which the kernel
//                requires), else Debian's setuid newuidmap/newgidmap, which
//                check /etc/subuid and /etc/subgid.
// Errors name linux.uidMappings / linux.gidMappings.
Status write_id_maps(pid_t pid, const std::vector<oci::IdMapping>& uid_maps,
                     const std::vector<oci::IdMapping>& gid_maps);

// A user namespace with these mappings, held by the returned fd: a child is
// cloned into a new user namespace, the maps are written, its namespace is
// opened and the child exits.
Result<Fd> make_userns(const std::vector<oci::IdMapping>& uid_maps, const std::vector<oci::IdMapping>& gid_maps);

}  // namespace berth::lnx
