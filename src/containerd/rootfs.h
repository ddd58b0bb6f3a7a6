// What Create needs from the host before libberth: containerd's snapshot
// mounted as the bundle's rootfs, and containerd's fifos (or files) opened
// as the task's stdio.
#pragma once

#include <string>
#include <vector>

#include "base/fd.h"
#include "base/result.h"
#include "berth/berth.h"

namespace berth::containerd {

// One of CreateTaskRequest's rootfs mounts (containerd.types.Mount).
struct MountSpec {
  std::string type, source;
  std::vector<std::string> options;  // mount(8)'s: "ro", "rbind", "lowerdir=..."
};

// Mounts each of mounts, in order, on <bundle>/rootfs (made if missing).
// On failure, what was mounted is unmounted again.
Status mount_rootfs(const std::string& bundle, const std::vector<MountSpec>& mounts);
// Detaches every mount on <bundle>/rootfs; none is fine.
void unmount_rootfs(const std::string& bundle);

// A task's stdio opened from containerd's names: a fifo's path (opened
// read-write, so that opening never waits for the other end and a reader
// that goes away never breaks the container's writes), "file://PATH"
// (appended to), or "" (/dev/null). Other schemes (binary://) are
// kNotImplemented.
struct StdioFds {
  Fd in, out, err;
  libberth::Stdio stdio() const { return {in.get(), out.get(), err.get(), ""}; }
};
Result<StdioFds> open_stdio(const std::string& in, const std::string& out, const std::string& err);

}  // namespace berth::containerd
