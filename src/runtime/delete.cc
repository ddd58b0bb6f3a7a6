#include "runtime/commands.h"
#include "runtime/container.h"

namespace berth::runtime {

Status remove(const state::Store& store, const std::string& id, bool force, std::vector<std::string>* warnings) {
  std::string ctx = "delete " + id;
  store.sweep();
  auto c = load(store, id, true);
  if (!c) {
    // runc: a forced delete of a container that does not exist succeeds.
    if (force && c.error().kind == ErrorKind::kNotFound) return {};
    return std::move(c).error().wrap(ctx);
  }
  if (!state::can_delete(c->status) && !force)
    return make_error(ErrorKind::kConflict, ctx + ": cannot delete container " + id +
                                                " that is not stopped: " + state::status_name(c->status));
  if (auto r = destroy(*c, warnings); !r) return std::move(r).error().wrap(ctx);
  return {};
}

}  // namespace berth::runtime
