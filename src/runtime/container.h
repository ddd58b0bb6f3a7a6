// A container as the runtime commands see it: its state directory, what was
// recorded, and its status derived from the live system.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/result.h"
#include "platform/platform.h"
#include "state/status.h"
#include "state/store.h"

namespace berth::runtime {

struct Loaded {
  state::ContainerDir dir;
  state::ContainerState st;
  state::Status status = state::Status::kStopped;
  uid_t owner = 0;  // who wrote its record (list's OWNER)
  // Its platform's view, opened from st (declared after dir, which it uses).
  std::unique_ptr<platform::Container> container;

  pid_t pid() const { return container ? container->pid() : 0; }
};

// Opens a container (locking it when lock is true), opens it on the
// platform its record names, and derives its status.
// A directory whose state was never written loads as stopped with pid 0 (or
// creating while a create holds it) so it can still be deleted. A damaged
// record (state.json and its backup unreadable) is an error for every
// command, delete --force included: the directory stays, and list shows it.
Result<Loaded> load(const state::Store& store, const std::string& id, bool lock);

// The runtime-spec state of a container, as `runc state` prints it
// (ociVersion, id, status, pid, bundle, rootfs, created, owner, annotations).
// The pid is reported while the container is not stopped. oci_state is the
// document, for callers that add to it (list: owner, sandbox).
nlohmann::ordered_json oci_state(const state::ContainerState& st, pid_t pid, state::Status status);
std::string oci_state_json(const state::ContainerState& st, pid_t pid, state::Status status, bool pretty);
// The same document with owner filled in and the sandbox (when there is
// one) at the end, appended to out as one line: list writes one per
// container, without building a document for each.
void append_list_entry(std::string& out, const state::ContainerState& st, pid_t pid, state::Status status,
                       std::string_view owner);
inline std::string oci_state_json(const Loaded& c, bool pretty) {
  return oci_state_json(c.st, c.pid(), c.status, pretty);
}

// Kills whatever is left of the container, removes what its platform made
// and its state directory, then runs the poststop hooks (failures go to
// warnings). The caller holds the lock. Safe on a half-made container.
Status destroy(Loaded& c, std::vector<std::string>* warnings = nullptr);

}  // namespace berth::runtime
