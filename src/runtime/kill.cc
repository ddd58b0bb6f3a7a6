#include "base/log.h"
#include "runtime/commands.h"
#include "runtime/container.h"

namespace berth::runtime {

Status kill(const state::Store& store, const std::string& id, int sig, bool all) {
  std::string ctx = "kill " + id;
  auto c = load(store, id, false);
  if (!c) return std::move(c).error().wrap(ctx);
  // --all may reach what is left once the init is gone (a pod sharing a pid
  // namespace: containerd kills its others this way).
  if (!state::can_kill(c->status) && !(all && c->container->can_signal_all()))
    return make_error(ErrorKind::kConflict, ctx + ": container not running");
  BERTH_DEBUG(ctx + ": signal " + std::to_string(sig) +
              (all ? " to every process" : " to the init, pid " + std::to_string(c->pid())));
  if (auto r = c->container->signal(sig, all); !r) {
    if (r.error().code == ESRCH) return make_error(ErrorKind::kConflict, ctx + ": container not running");
    return std::move(r).error().wrap(ctx);
  }
  return {};
}

}  // namespace berth::runtime
