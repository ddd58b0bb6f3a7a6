#include "runtime/cgroup.h"
#include "runtime/commands.h"
#include "runtime/container.h"

namespace berth::runtime {

namespace {

Status set_frozen(const state::Store& store, const std::string& id, bool frozen) {
  std::string ctx = (frozen ? "pause " : "resume ") + id;
  auto c = load(store, id, true);
  if (!c) return std::move(c).error().wrap(ctx);
  state::Status need = frozen ? state::Status::kRunning : state::Status::kPaused;
  if (c->status != need)
    return make_error(ErrorKind::kConflict, ctx + ": container is " + state::status_name(c->status) +
                                                ", not " + state::status_name(need));
  auto cg = manager_for(c->st);
  if (!cg) return std::move(cg).error().wrap(ctx);
  if (!*cg) return make_error(ErrorKind::kNotImplemented, ctx + ": the container has no cgroup");
  if (auto r = (*cg)->freeze(frozen); !r) return std::move(r).error().wrap(ctx);
  return {};
}

}  // namespace

Status pause(const state::Store& store, const std::string& id) { return set_frozen(store, id, true); }
Status resume(const state::Store& store, const std::string& id) { return set_frozen(store, id, false); }

Status update(const state::Store& store, const std::string& id, const oci::Resources& r) {
  std::string ctx = "update " + id;
  auto c = load(store, id, true);
  if (!c) return std::move(c).error().wrap(ctx);
  if (c->status == state::Status::kStopped)
    return make_error(ErrorKind::kConflict, ctx + ": container is stopped");
  auto cg = manager_for(c->st);
  if (!cg) return std::move(cg).error().wrap(ctx);
  if (!*cg) return make_error(ErrorKind::kNotImplemented, ctx + ": the container has no cgroup");
  if (auto res = (*cg)->set(r); !res) return std::move(res).error().wrap(ctx);
  return {};
}

Result<std::vector<pid_t>> pids(const state::Store& store, const std::string& id) {
  std::string ctx = "ps " + id;
  auto c = load(store, id, false);
  if (!c) return std::move(c).error().wrap(ctx);
  if (c->status == state::Status::kStopped) return make_error(ErrorKind::kConflict, ctx + ": container is not running");
  auto cg = manager_for(c->st);
  if (!cg) return std::move(cg).error().wrap(ctx);
  if (!*cg) return std::vector<pid_t>{c->st.pid};
  return (*cg)->pids();
}

}  // namespace berth::runtime

namespace berth::runtime {

Result<cgroups::Stats> stats(const state::Store& store, const std::string& id) {
  std::string ctx = "events " + id;
  auto c = load(store, id, false);
  if (!c) return std::move(c).error().wrap(ctx);
  if (c->status == state::Status::kStopped)
    return make_error(ErrorKind::kConflict, ctx + ": container is stopped");
  auto cg = manager_for(c->st);
  if (!cg) return std::move(cg).error().wrap(ctx);
  if (!*cg) return cgroups::Stats{};
  return (*cg)->stats();
}

}  // namespace berth::runtime
