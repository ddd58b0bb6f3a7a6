#include "base/crash.h"
#include "base/log.h"
#include "hooks/hooks.h"
#include "runtime/commands.h"
#include "runtime/container.h"

namespace berth::runtime {

Status start(const state::Store& store, const std::string& id, std::vector<std::string>* warnings) {
  std::string ctx = "start " + id;
  auto c = load(store, id, true);
  if (!c) return std::move(c).error().wrap(ctx);
  switch (c->status) {
    case state::Status::kCreated: break;
    case state::Status::kStopped:
      return make_error(ErrorKind::kConflict, ctx + ": cannot start a container that has stopped");
    default:
      return make_error(ErrorKind::kConflict,
                        ctx + ": cannot start an already " + state::status_name(c->status) + " container");
  }
  BERTH_DEBUG(ctx + ": releasing the init, pid " + std::to_string(c->pid()));
  if (auto r = c->container->start(); !r) return std::move(r).error().wrap(ctx);
  // The user's process runs (or the init died): poststart may follow.
  std::string state_json = oci_state_json(c->st, c->pid(), state::Status::kRunning, false);
  hooks::run_all(c->st.poststart, "poststart", state_json, warnings, c->st.bundle);
  return {};
}

}  // namespace berth::runtime
