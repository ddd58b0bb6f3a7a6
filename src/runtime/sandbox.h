// Sandboxes, as runhcs has them: a container whose annotations say it is a
// sandbox (a Kubernetes pod's infra container) or a member of one. The
// sandbox id is recorded in state.json (ContainerState::sandbox; a sandbox
// records its own id); a member is created with the sandbox's container as
// its host (ContainerState::host), which its platform joins (Linux: the
// sandbox init's network, ipc and uts namespaces where the member's config
// leaves them unset; a utility VM platform: the sandbox's VM); deleting a sandbox
// refuses while members live, and with --force removes them first.
//
// Lock order: a sandbox's lock before any member's lock, never the reverse.
// A member's create holds the sandbox's lock from its check until its own
// state.json names the sandbox (check_member .. release), and the delete of
// a sandbox holds the sandbox's lock while it scans for members and deletes
// them. So a delete sees every member whose create got past the check, and a
// create that checks after a delete finds no sandbox. Nothing locks a member
// and then its sandbox.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "oci/spec.h"
#include "runtime/container.h"
#include "runtime/membership.h"
#include "state/store.h"

namespace berth::runtime::sandbox {

// True when the recorded state is a sandbox's.
inline bool is_sandbox(const state::ContainerState& st) { return !st.sandbox.empty() && st.sandbox == st.id; }

// The sandbox of a member being created, locked until release().
struct Sandbox {
  Loaded c;
};

// Checks that the member's sandbox exists in this store and has a live init
// (created, running or paused), and locks it. Errors name the annotation:
// kNotFound when missing, kConflict when it is not alive.
// A named container that exists but was not created as a sandbox gives
// nullopt (and no lock): podman names its pod's infra container this way
// without marking the infra as a sandbox, and passes every namespace as a
// path itself, so the member is an ordinary container that joins what its
// paths say, outside any sandbox (README: "Sandboxes"). So does a missing
// one for podman (may_name_no_container): a pod without infra container is
// named by the pod's id, and its members have namespaces of their own; runc,
// which reads no annotations, runs them so.
Result<std::optional<Sandbox>> check_member(const state::Store& store, const Membership& m);

struct Member {
  std::string id;
  state::Status status = state::Status::kStopped;
};

// The containers of the store that record sandbox_id as their sandbox
// (not the sandbox itself), sorted by id. O(number of containers).
Result<std::vector<Member>> members(const state::Store& store, const std::string& sandbox_id);

}  // namespace berth::runtime::sandbox
