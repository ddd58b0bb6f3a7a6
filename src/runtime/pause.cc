// The commands that act on a live container's resources: pause, resume,
// update, ps, events.
#include "runtime/commands.h"
#include "runtime/container.h"

namespace berth::runtime {

namespace {

// A container that is not stopped (unless stopped_ok). Errors carry ctx.
Result<Loaded> load_live(const state::Store& store, const std::string& id, bool lock, const std::string& ctx,
                         bool stopped_ok = false) {
  auto c = load(store, id, lock);
  if (!c) return std::move(c).error().wrap(ctx);
  if (c->status == state::Status::kStopped && !stopped_ok)
    return make_error(ErrorKind::kConflict, ctx + ": container is not running");
  return c;
}

Status set_frozen(const state::Store& store, const std::string& id, bool frozen) {
  std::string ctx = (frozen ? "pause " : "resume ") + id;
  auto live = load_live(store, id, true, ctx);
  if (!live) return std::move(live).error();
  state::Status need = frozen ? state::Status::kRunning : state::Status::kPaused;
  if (live->status != need)
    return make_error(ErrorKind::kConflict,
                      ctx + ": container is " + state::status_name(live->status) + ", not " + state::status_name(need));
  auto r = frozen ? live->container->pause() : live->container->resume();
  if (!r) return std::move(r).error().wrap(ctx);
  return {};
}

}  // namespace

Status pause(const state::Store& store, const std::string& id) { return set_frozen(store, id, true); }

Status resume(const state::Store& store, const std::string& id) { return set_frozen(store, id, false); }

Status update(const state::Store& store, const std::string& id, const oci::Resources& r) {
  std::string ctx = "update " + id;
  auto live = load_live(store, id, true, ctx);
  if (!live) return std::move(live).error();
  if (auto res = live->container->update(r); !res) return std::move(res).error().wrap(ctx);
  return {};
}

Result<std::vector<pid_t>> pids(const state::Store& store, const std::string& id) {
  // A stopped container may still hold processes (its init gone, a shared
  // pid namespace's others not): runc lists them, and so do we.
  auto live = load_live(store, id, false, "ps " + id, true);
  if (!live) return std::move(live).error();
  auto out = live->container->pids(live->status);
  if (!out) return std::move(out).error().wrap("ps " + id);
  return out;
}

Result<std::vector<platform::ProcessInfo>> processes(const state::Store& store, const std::string& id) {
  auto live = load_live(store, id, false, "ps " + id, true);
  if (!live) return std::move(live).error();
  auto out = live->container->processes(live->status);
  if (!out) return std::move(out).error().wrap("ps " + id);
  return out;
}

Result<platform::Stats> stats(const state::Store& store, const std::string& id) {
  auto live = load_live(store, id, false, "events " + id);
  if (!live) return std::move(live).error();
  auto out = live->container->statistics();
  if (!out) return std::move(out).error().wrap("events " + id);
  return out;
}

Result<EventSources> event_sources(const state::Store& store, const std::string& id) {
  auto live = load_live(store, id, false, "events " + id);
  if (!live) return std::move(live).error();
  EventSources out;
  // A watch that cannot be set up leaves the counting to stats.
  if (auto oom = live->container->oom_events()) out.oom = std::move(*oom);
  auto init = live->container->open_process();
  if (!init) return std::move(init).error().wrap("events " + id);
  out.init = std::move(*init);
  if (!out.init) return make_error(ErrorKind::kConflict, "events " + id + ": container is not running");
  return out;
}

}  // namespace berth::runtime
