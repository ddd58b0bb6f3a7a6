// The commands that act on a live container's cgroup: pause, resume, update,
// ps, events.
#include "runtime/cgroup.h"
#include "runtime/commands.h"
#include "runtime/container.h"

namespace berth::runtime {

namespace {

// A container that is not stopped (unless stopped_ok), with its cgroup
// manager (nullptr when it has no cgroup). Errors carry ctx.
struct Live {
  Loaded c;
  std::unique_ptr<cgroups::Manager> cg;
};

Result<Live> load_live(const state::Store& store, const std::string& id, bool lock, const std::string& ctx,
                       bool stopped_ok = false) {
  auto c = load(store, id, lock);
  if (!c) return std::move(c).error().wrap(ctx);
  if (c->status == state::Status::kStopped && !stopped_ok)
    return make_error(ErrorKind::kConflict, ctx + ": container is not running");
  auto cg = manager_for(c->st);
  if (!cg) return std::move(cg).error().wrap(ctx);
  return Live{std::move(*c), std::move(*cg)};
}

Status no_cgroup(const std::string& ctx) {
  return make_error(ErrorKind::kNotImplemented, ctx + ": the container has no cgroup");
}

Status set_frozen(const state::Store& store, const std::string& id, bool frozen) {
  std::string ctx = (frozen ? "pause " : "resume ") + id;
  auto live = load_live(store, id, true, ctx);
  if (!live) return std::move(live).error();
  state::Status need = frozen ? state::Status::kRunning : state::Status::kPaused;
  if (live->c.status != need)
    return make_error(ErrorKind::kConflict, ctx + ": container is " + state::status_name(live->c.status) +
                                                ", not " + state::status_name(need));
  if (!live->cg) return no_cgroup(ctx);
  if (auto r = live->cg->freeze(frozen); !r) return std::move(r).error().wrap(ctx);
  return {};
}

}  // namespace

Status pause(const state::Store& store, const std::string& id) { return set_frozen(store, id, true); }
Status resume(const state::Store& store, const std::string& id) { return set_frozen(store, id, false); }

Status update(const state::Store& store, const std::string& id, const oci::Resources& r) {
  std::string ctx = "update " + id;
  auto live = load_live(store, id, true, ctx);
  if (!live) return std::move(live).error();
  if (!live->cg) return no_cgroup(ctx);
  if (auto res = live->cg->set(r); !res) return std::move(res).error().wrap(ctx);
  return {};
}

Result<std::vector<pid_t>> pids(const state::Store& store, const std::string& id) {
  // A stopped container's cgroup may still hold processes (its init gone,
  // a shared pid namespace's others not): runc lists them, and so do we.
  auto live = load_live(store, id, false, "ps " + id, true);
  if (!live) return std::move(live).error();
  if (!live->cg) {
    if (live->c.status == state::Status::kStopped) return std::vector<pid_t>{};
    return std::vector<pid_t>{live->c.st.pid};
  }
  return live->cg->pids();
}

Result<cgroups::Stats> stats(const state::Store& store, const std::string& id) {
  auto live = load_live(store, id, false, "events " + id);
  if (!live) return std::move(live).error();
  if (!live->cg) return cgroups::Stats{};
  return live->cg->stats();
}

}  // namespace berth::runtime
