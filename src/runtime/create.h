// create: a container set up and its init parked, as `runc create` leaves it.
#pragma once

#include <string>
#include <vector>

#include "base/fd.h"
#include "base/result.h"
#include "linux/init.h"
#include "linux/spawn.h"
#include "runtime/container.h"
#include "state/store.h"

namespace berth::runtime {

struct CreateOptions {
  std::string id;
  std::string bundle = ".";
  std::string pid_file;
  std::string console_socket;
  int preserve_fds = 0;
  int listen_fds = 0;  // socket activation: fds 3.. passed on, LISTEN_FDS/LISTEN_PID=1 set
  bool no_pivot = false;
  bool no_new_keyring = false;
  bool systemd_cgroup = false;  // cgroupsPath is slice:prefix:name
  bool rootless = false;        // a cgroup berth may not make is skipped, not an error
  bool detach = true;  // false: `run` in the foreground, which owns the terminal
};

// A container just created: locked, its init waiting to exec.
struct Created {
  Loaded c;
  lnx::Child init;
  Fd sync;     // to the init; closed when the init execs
  Fd console;  // foreground run with a terminal: receives the pty master
  std::vector<std::string> warnings;  // for the log (e.g. unknown capabilities)
};

// Creates the container. With Park::kExecFifo the init waits for `start`; with
// Park::kSync for start_now(). On failure nothing is left: no state directory,
// no process, no mount.
Result<Created> create(const state::Store& store, const CreateOptions& opts, lnx::Park park);

// Lets a kSync-parked init exec the user's process; returns once it has,
// after the poststart hooks (whose failures are only warnings).
Status start_now(Created& created);

// The console socket for a process with a terminal: connected to
// console_socket, or (empty path) one end of a pair whose other end berth
// keeps to proxy the pty itself. child goes to the process, parent stays.
struct ConsolePair {
  Fd child;
  Fd parent;
};
Result<ConsolePair> open_console(const std::string& console_socket);

// Writes pid to path atomically (temp file + rename), as runc does.
Status write_pid_file(const std::string& path, int pid);

}  // namespace berth::runtime
