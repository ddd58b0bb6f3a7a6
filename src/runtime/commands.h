// The runtime operations on an existing container. Each is one file.
#pragma once

#include <string>

#include "base/result.h"
#include "state/store.h"

namespace berth::runtime {

// Lets a created container's init exec the user's process.
// kConflict unless the container is created.
Status start(const state::Store& store, const std::string& id);

// Sends sig to the container's init (all: to every process of the container).
// kConflict when the container is not running, created or paused.
Status kill(const state::Store& store, const std::string& id, int sig, bool all);

// Removes a stopped or created container; with force also a running one,
// and a missing one is not an error.
Status remove(const state::Store& store, const std::string& id, bool force);

}  // namespace berth::runtime
