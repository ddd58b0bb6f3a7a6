// /dev inside the container: device nodes and the standard symlinks.
#pragma once

#include <vector>

#include "base/result.h"
#include "oci/spec.h"

namespace berth::lnx {

// The devices every container gets (null, zero, full, random, urandom, tty),
// each 0666 root:root, as runc creates them.
const std::vector<oci::Device>& default_devices();

// Creates each device below root (an O_PATH fd of the rootfs) with its mode,
// uid and gid: mknod, or in a user namespace, where mknod is not allowed, an
// empty file with the host's device node bind-mounted on it.
Status create_devices(int root, const std::vector<oci::Device>& devices, bool userns);

// /dev/fd, /dev/std{in,out,err}, /dev/ptmx and /dev/core symlinks.
Status create_dev_symlinks(int root);

}  // namespace berth::lnx
