// The container status state machine, derived the way runc derives it.
#pragma once

#include <string>

#include "state/store.h"

namespace berth::state {

enum class Status { kCreating, kCreated, kRunning, kPaused, kStopped };

const char* status_name(Status s);

inline bool can_start(Status s) { return s == Status::kCreated; }
inline bool can_kill(Status s) { return s == Status::kCreated || s == Status::kRunning || s == Status::kPaused; }
// Deleting without --force is allowed while the process is not running user
// code: a created container is killed, a stopped one only cleaned up.
inline bool can_delete(Status s) { return s == Status::kCreated || s == Status::kStopped; }

// A container's status is derived from the live system by its platform
// (platform::Container::status), the way runc derives it.

}  // namespace berth::state
