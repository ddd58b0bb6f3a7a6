// The shim: one small process per container, staying behind as the parent
// (and subreaper) of its init after `berth create --shim` returns. It holds
// the container's output (copied to a log file when asked), reaps the init
// and records how it ended (exit.json in the container's state directory),
// so the exit code and time are there after the fact even though the caller
// has gone: runhcs's shim and conmon play this part.
//
// A crash of the shim loses only the exit record: the container keeps
// running (reparented), and `delete --force` removes it as any other.
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
  std::string output_log;  // container stdout and stderr appended here; "" keeps the caller's stdio
  bool start = false;      // `run -d --shim`: start the container once created
};

// Forks the shim (in a session of its own, not the caller's child), which
// creates the container. Returns once the container is created (and started
// when asked) or has failed; a start-up error comes back over a pipe, with
// nothing left behind. Returns the shim's pid; warnings get the create's.
Result<pid_t> launch(const state::Store& store, const Options& opts, std::vector<std::string>& warnings);

// What the shim recorded when the init exited.
struct ExitRecord {
  pid_t pid = 0;
  int exit_code = 0;  // 128+signal when killed, like a shell
  int signal = 0;     // the signal that killed it, or 0
  std::string exited_at;  // RFC 3339
};

inline constexpr const char* kExitFile = "exit.json";

// The record of container id, or nullopt while it has none (still running,
// or not run under a shim).
Result<std::optional<ExitRecord>> read_exit(const state::Store& store, const std::string& id);

}  // namespace berth::shim
