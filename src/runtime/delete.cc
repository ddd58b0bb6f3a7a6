#include "base/log.h"
#include "runtime/commands.h"
#include "runtime/container.h"
#include "runtime/sandbox.h"

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
  if (sandbox::is_sandbox(c->st)) {
    // We hold the sandbox's lock, so no member create is between its check
    // and its first state write: every member is in this list. Members are
    // locked after the sandbox, the order runtime/sandbox.h fixes.
    auto members = sandbox::members(store, id);
    if (!members) return std::move(members).error().wrap(ctx);
    if (!force) {
      std::string live;
      for (const auto& m : *members)
        if (m.status != state::Status::kStopped) live += (live.empty() ? "" : ", ") + m.id;
      if (!live.empty())
        return make_error(ErrorKind::kConflict, ctx + ": sandbox " + id + " has members that are not stopped: " + live +
                                                    " (delete them first, or use --force)");
      // Stopped members stay: delete removes only what it was named, unless forced.
    } else {
      for (const auto& m : *members)
        if (auto r = remove(store, m.id, true, warnings); !r) return std::move(r).error().wrap(ctx);
    }
  }
  if (!state::can_delete(c->status) && !force)
    return make_error(ErrorKind::kConflict, ctx + ": cannot delete container " + id +
                                                " that is not stopped: " + state::status_name(c->status));
  BERTH_DEBUG(ctx + ": destroying (" + state::status_name(c->status) + (force ? ", forced)" : ")"));
  if (auto r = destroy(*c, warnings); !r) return std::move(r).error().wrap(ctx);
  return {};
}

}  // namespace berth::runtime
