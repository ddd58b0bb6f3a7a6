// A container as the runtime commands see it: its state directory, what was
// recorded, and its status derived from the live system.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "state/status.h"
#include "state/store.h"

namespace berth::runtime {

struct Loaded {
  state::ContainerDir dir;
  state::ContainerState st;
  state::Status status = state::Status::kStopped;
};

// Opens a container (locking it when lock is true) and derives its status.
// A directory whose state was never written loads as stopped with pid 0 (or
// creating while a create holds it) so it can still be deleted. A damaged
// record (state.json and its backup unreadable) is an error for every
// command, delete --force included: the directory stays, and list shows it.
Result<Loaded> load(const state::Store& store, const std::string& id, bool lock);

// The runtime-spec state of a container, as `runc state` prints it
// (ociVersion, id, status, pid, bundle, rootfs, created, owner, annotations).
std::string oci_state_json(const state::ContainerState& st, state::Status status, bool pretty);

// Kills whatever is left of the container, removes its cgroups and state
// directory, then runs the poststop hooks (failures go to warnings). The
// caller holds the lock. Safe on a half-made container.
Status destroy(Loaded& c, std::vector<std::string>* warnings = nullptr);

}  // namespace berth::runtime
