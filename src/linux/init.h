// The container's init between clone and execve.
#pragma once

#include <string>
#include <vector>

#include "linux/caps.h"
#include "linux/rootfs.h"
#include "oci/spec.h"
#include "seccomp/seccomp.h"

namespace berth::lnx {

// How the init waits after set-up until it may exec the user's process.
enum class Park {
  kExecFifo,  // create: blocks reading the exec fifo until `berth start` writes it
  kSync,      // run: waits for kStart on the sync socket
};

// Everything the init needs, resolved by the parent before clone so the child
// parses nothing. Lives in the parent's memory, which the child inherits.
struct InitConfig {
  const oci::Spec* spec = nullptr;
  RootfsConfig rootfs;
  bool new_mount_ns = false;
  // The hostname and domainname are set: a new uts namespace, or one joined
  // by path that is not berth's own (runc sets them there too).
  bool own_uts_ns = false;
  bool new_user_ns = false;  // the parent writes its uid/gid maps
  // A new cgroup namespace is unshared once the init is in its cgroups, as
  // runc does: made at clone, its root would be berth's own cgroup.
  bool new_cgroup_ns = false;
  bool become_root = false;  // in a new or joined user namespace: setresuid(0)
  // An unprivileged parent writes our id maps through /proc/PID, which it
  // can only open while we are dumpable: stay so until kGo (maps written).
  bool dumpable_until_go = false;
  std::vector<std::pair<int, int>> join_ns;  // (fd, CLONE_NEW* type) to setns, opened by the parent
  bool has_caps = false;
  CapSets caps;
  const seccomp::Filter* seccomp = nullptr;  // compiled by the parent; loaded here
  Park park = Park::kSync;
  int exec_fifo = -1;  // opened O_RDWR by the parent (kExecFifo)
  int sync_fd = -1;
  int console_fd = -1;   // process.terminal: where the pty master goes (see console.h)
  int preserve_fds = 0;  // fds 3 .. 3+N-1 stay open across execve
  bool parent_hooks = false;
  std::string
      session_keyring;  // join a new one with this name ("" with --no-new-keyring)  // prestart/createRuntime hooks: ask the parent to run them
  std::vector<int> close_fds;  // the parent's fds the child must not keep (the state lock)
};

// Runs the init recipe and execs the user's process; never returns. Failures
// go to the parent as a kError sync message, then the child exits.
[[noreturn]] void run_init(const InitConfig& cfg);

}  // namespace berth::lnx
