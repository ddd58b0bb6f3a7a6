// The shim: one small process per container, staying behind as the parent
// (and subreaper) of its init after `berth create --shim` returns. It holds
// the container's stdio (pipes, or the pty master of a terminal; output also
// copied to a log file when asked), reaps the init and every process exec'd
// through it, records how each ended in the container's state directory, and
// answers libberth over a control socket there (shim/protocol.h): so the
// exit code and time are there after the fact even though the caller has
// gone, and a daemon that restarts finds its containers' shims again.
// runhcs's shim, conmon and containerd-shim play this part.
//
// Two halves: launch() runs in berth (it needs the whole engine to create
// the container), then the shim replaces itself with the small berth-shim
// binary (shim/monitor.h) to wait, for months maybe, with few pages resident.
//
// A crash of the shim loses the exit records, and the stdio it held: a
// container under --shim-stdio (libberth's) sees EOF on stdin and EPIPE
// (SIGPIPE) when it next writes output. The container itself is reparented
// and `delete --force` removes it as any other.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "runtime/create.h"
#include "state/store.h"

namespace berth::shim {

struct Options {
  runtime::CreateOptions create;
  std::string output_log;  // container stdout and stderr appended here
  // The shim pumps the caller's fds 0-2 to and from pipes of its own, so the
  // container never holds the caller's fds (a daemon's fifos) and stdin can
  // be closed on request. Without it (and without a log) the container
  // inherits the caller's stdio, as `runc create` leaves it. A terminal
  // without a console socket is always held: the shim keeps the pty master.
  bool hold_stdio = false;
  bool start = false;  // `run -d --shim`: start the container once created
};

// Forks the shim (in a session of its own, not the caller's child), which
// creates the container. Returns once the container is created (and started
// when asked) or has failed; a start-up error comes back over a pipe, with
// nothing left behind. Returns the shim's pid; warnings get the create's.
Result<pid_t> launch(const state::Store& store, const Options& opts, std::vector<std::string>& warnings);

// The monitor binary launch() executes: $BERTH_SHIM, else berth-shim next
// to the berth binary (main() records where that is before berth re-executes
// itself). When it is missing, berth runs the same code itself (`berth
// shim-monitor`, hidden), at the cost of a larger resident shim.
inline constexpr const char* kShimEnv = "BERTH_SHIM";

// What the shim recorded when the init exited.
struct ExitRecord {
  pid_t pid = 0;
  int exit_code = 0;      // 128+signal when killed, like a shell
  int signal = 0;         // the signal that killed it, or 0
  std::string exited_at;  // RFC 3339
};

// The exit record of a process of container id (key: "init" or an exec id),
// or nullopt while it has none (still running, or not run under a shim).
Result<std::optional<ExitRecord>> read_exit(const state::Store& store, const std::string& id,
                                            const std::string& key = "init");

}  // namespace berth::shim
