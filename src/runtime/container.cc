#include "runtime/container.h"

#include <signal.h>

#include <nlohmann/json.hpp>

#include "base/crash.h"
#include "base/proc.h"
#include "hooks/hooks.h"
#include "runtime/cgroup.h"

namespace berth::runtime {

Result<Loaded> load(const state::Store& store, const std::string& id, bool lock) {
  auto dir = lock ? store.lock(id) : store.open(id);
  if (!dir) return std::move(dir).error();
  auto st = dir->load();
  if (!st && st.error().code != ENOENT) {
    // Neither state.json nor its backup can be read: the container may be
    // running, and deleting the directory would orphan it. Refuse, keep it.
    return make_error(ErrorKind::kInternal,
                      st.error().message + " (the record of container \"" + id +
                          "\" is damaged: berth cannot tell what it runs, so it leaves it alone; restore " +
                          dir->path() + "/" + state::kStateFile + " or stop its processes and remove " +
                          dir->path() + ")");
  }
  Loaded c{std::move(*dir), {}, state::Status::kStopped};
  if (st) {
    c.st = std::move(*st);
  } else {
    c.st.id = id;  // never recorded: nothing was made, only the directory to remove
  }
  c.status = state::derive_status(c.st, c.dir);
  if (c.status == state::Status::kRunning) {
    auto m = manager_for(c.st);
    if (m && *m && (*m)->frozen()) c.status = state::Status::kPaused;
  }
  return c;
}

std::string oci_state_json(const state::ContainerState& st, state::Status status, bool pretty) {
  // While creating, the init's pid is known once it was cloned: the hooks of
  // that phase need it (docker's prestart hook opens /proc/<pid>/ns/net).
  bool alive = status != state::Status::kStopped;
  nlohmann::ordered_json j = {
      {"ociVersion", st.oci_version.empty() ? "1.2.0" : st.oci_version},
      {"id", st.id},
      {"pid", alive ? st.pid : 0},
      {"status", state::status_name(status)},
      {"bundle", st.bundle},
      {"rootfs", st.rootfs},
      {"created", st.created},
      {"owner", ""},
  };
  if (!st.annotations.empty()) j["annotations"] = st.annotations;
  return pretty ? j.dump(2) : j.dump();
}

Status destroy(Loaded& c, std::vector<std::string>* warnings) {
  auto cg = manager_for(c.st);
  if (!cg) {
    // Recorded paths that are not a container's cgroups (a state file
    // edited by hand) are never touched; the rest is still removed.
    if (warnings) warnings->push_back(cg.error().message + "; cgroups left as they are");
    cg = std::unique_ptr<cgroups::Manager>();
  }
  // A frozen init cannot die: thaw before the kill.
  if (*cg && (*cg)->frozen()) BERTH_TRY((*cg)->freeze(false));
  if (c.st.pid > 0 && process_alive(c.st.pid, c.st.pid_start)) {
    if (auto r = signal_process(c.st.pid, c.st.pid_start, SIGKILL); !r && r.error().code != ESRCH)
      return std::move(r).error();
    crash_point("delete:kill");
    BERTH_TRY(wait_exited(c.st.pid, 10000));
  }
  // The cgroup holds whatever else the container started (without a pid
  // namespace, or exec'd processes reparented away).
  if (*cg) BERTH_TRY((*cg)->destroy());
  crash_point("delete:cgroups");
  BERTH_TRY(c.dir.remove());
  crash_point("delete:state-dir");
  if (auto r = hooks::run(c.st.poststop, "poststop", oci_state_json(c.st, state::Status::kStopped, false)); !r)
    if (warnings) warnings->push_back(r.error().message);
  return {};
}

}  // namespace berth::runtime
