// The runtime operations on an existing container. Each is one file.
#pragma once

#include <string>

#include <sys/types.h>

#include <vector>

#include "base/result.h"
#include "oci/spec.h"
#include "platform/platform.h"
#include "state/store.h"

namespace berth::runtime {

// Lets a created container's init exec the user's process.
// kConflict unless the container is created.
// Failures of poststart hooks are added to warnings, as the spec says.
Status start(const state::Store& store, const std::string& id, std::vector<std::string>* warnings = nullptr);

// Sends sig to the container's init (all: to every process of the container).
// kConflict when the container is not running, created or paused.
Status kill(const state::Store& store, const std::string& id, int sig, bool all);

// Freezes every process of a running container (pause) or thaws a paused
// one (resume), waiting until the kernel reports it done.
Status pause(const state::Store& store, const std::string& id);
Status resume(const state::Store& store, const std::string& id);

// Changes a running (or paused, or created) container's limits.
Status update(const state::Store& store, const std::string& id, const oci::Resources& r);

// The host pids of every process in the container.
Result<std::vector<pid_t>> pids(const state::Store& store, const std::string& id);

// What `docker top` shows of each of those processes.
Result<std::vector<platform::ProcessInfo>> processes(const state::Store& store, const std::string& id);

// The container's resource statistics; kConflict once it has stopped.
Result<platform::Stats> stats(const state::Store& store, const std::string& id);

// What `events` waits on besides its clock: the container's OOM watch (null
// when its platform cannot tell; then stats' oom_kills count them) and its
// init (exit_fd() readable once it has ended). kConflict once it has stopped.
struct EventSources {
  std::unique_ptr<platform::OomWatch> oom;
  std::unique_ptr<platform::Process> init;
};
Result<EventSources> event_sources(const state::Store& store, const std::string& id);

// Removes a stopped or created container; with force also a running one,
// and a missing one is not an error.
// A sandbox (runtime/sandbox.h) is refused with kConflict while any member
// is not stopped; with force its members (in any status) are removed first.
// Without force, stopped members are left for their own delete.
// Failures of poststop hooks are added to warnings.
Status remove(const state::Store& store, const std::string& id, bool force,
              std::vector<std::string>* warnings = nullptr);

}  // namespace berth::runtime
