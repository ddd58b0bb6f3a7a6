// A new process in a running container (berth exec), between clone and execve.
#pragma once

#include <vector>

#include "linux/caps.h"
#include "oci/spec.h"
#include "seccomp/seccomp.h"

namespace berth::lnx {

struct ExecChildConfig {
  const oci::Process* process = nullptr;
  int init_pidfd = -1;  // the container's init: its namespaces are joined with setns(pidfd)
  int join_flags = 0;   // CLONE_NEW* of the init's namespaces that differ from berth's
  int init_root = -1;   // O_PATH fd of /proc/<init>/root: the container's root directory
  bool has_caps = false;
  CapSets caps;
  const seccomp::Filter* seccomp = nullptr;  // compiled by the parent; loaded here
  int sync_fd = -1;
  int console_fd = -1;  // process.terminal: where the pty master goes
  int preserve_fds = 0;
  std::vector<int> close_fds;
};

// Joins the container, applies the process spec and execs it; never returns.
// Set-up errors go to the parent as kError; success shows as EOF on the sync
// socket (it is close-on-exec).
[[noreturn]] void run_exec_child(const ExecChildConfig& cfg);

}  // namespace berth::lnx
