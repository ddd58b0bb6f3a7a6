// User namespaces made only to carry id mappings (idmapped mounts).
#pragma once

#include <vector>

#include "base/fd.h"
#include "base/result.h"
#include "oci/spec.h"

namespace berth::lnx {

// "containerID hostID size\n" lines, as /proc/PID/uid_map takes them.
std::string id_map_text(const std::vector<oci::IdMapping>& maps);

// A user namespace with these mappings, held by the returned fd: a child is
// cloned into a new user namespace, the maps are written, its namespace is
// opened and the child exits.
Result<Fd> make_userns(const std::vector<oci::IdMapping>& uid_maps, const std::vector<oci::IdMapping>& gid_maps);

}  // namespace berth::lnx
