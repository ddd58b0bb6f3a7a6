#include <signal.h>

#include "base/proc.h"
#include "runtime/cgroup.h"
#include "runtime/commands.h"
#include "runtime/container.h"

namespace berth::runtime {

Status kill(const state::Store& store, const std::string& id, int sig, bool all) {
  std::string ctx = "kill " + id;
  auto c = load(store, id, false);
  if (!c) return std::move(c).error().wrap(ctx);
  auto cg = manager_for(c->st);
  if (!cg) return std::move(cg).error().wrap(ctx);
  // --all reaches whatever is left in the cgroup even once the init is gone
  // (a pod sharing a pid namespace: containerd kills its others this way).
  if (!state::can_kill(c->status) && !(all && *cg))
    return make_error(ErrorKind::kConflict, ctx + ": container not running");
  Status r;
  if (all && *cg) {
    auto pids = (*cg)->pids();
    if (!pids) return std::move(pids).error().wrap(ctx);
    for (pid_t p : *pids) ::kill(p, sig);
  } else {
    r = signal_process(c->st.pid, c->st.pid_start, sig);
  }
  // A frozen process only dies once thawed; runc once hung here.
  if (sig == SIGKILL && *cg && (c->status == state::Status::kPaused || (*cg)->frozen())) (void)(*cg)->freeze(false);
  if (!r) {
    if (r.error().code == ESRCH) return make_error(ErrorKind::kConflict, ctx + ": container not running");
    return std::move(r).error().wrap(ctx);
  }
  return {};
}

}  // namespace berth::runtime
