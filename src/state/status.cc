#include "state/status.h"

#include "base/proc.h"

namespace berth::state {

const char* status_name(Status s) {
  switch (s) {
    case Status::kCreating: return "creating";
    case Status::kCreated: return "created";
    case Status::kRunning: return "running";
    case Status::kPaused: return "paused";
    case Status::kStopped: return "stopped";
  }
  return "unknown";
}

Status derive_status(const ContainerState& st, const ContainerDir& dir) {
  if (st.pid <= 0) return is_locked(dir) ? Status::kCreating : Status::kStopped;
  if (!process_alive(st.pid, st.pid_start)) return Status::kStopped;
  if (dir.has(kExecFifo)) return Status::kCreated;
  return Status::kRunning;
}

}  // namespace berth::state
