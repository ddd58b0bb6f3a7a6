#include "base/proc.h"
#include "runtime/commands.h"
#include "runtime/container.h"

namespace berth::runtime {

Status kill(const state::Store& store, const std::string& id, int sig, bool all) {
  (void)all;  // the init is pid 1 of its pid namespace: the kernel takes the rest with it
  std::string ctx = "kill " + id;
  auto c = load(store, id, false);
  if (!c) return std::move(c).error().wrap(ctx);
  if (!state::can_kill(c->status)) return make_error(ErrorKind::kConflict, ctx + ": container not running");
  auto r = signal_process(c->st.pid, c->st.pid_start, sig);
  if (!r) {
    if (r.error().code == ESRCH) return make_error(ErrorKind::kConflict, ctx + ": container not running");
    return std::move(r).error().wrap(ctx);
  }
  return {};
}

}  // namespace berth::runtime
