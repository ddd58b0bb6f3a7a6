// The bridge between a recorded container and its cgroup manager.
#pragma once

#include <memory>

#include "base/result.h"
#include "cgroups/manager.h"
#include "state/store.h"

namespace berth::runtime {

// The manager for a container's recorded cgroups, or nullptr when it has
// none. Each recorded path must lie strictly below one of the host's cgroup
// mount points: a hand-edited state file must not turn delete into "kill
// every process of the host".
Result<std::unique_ptr<cgroups::Manager>> manager_for(const state::ContainerState& st);

}  // namespace berth::runtime
