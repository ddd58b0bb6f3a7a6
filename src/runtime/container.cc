#include "runtime/container.h"

#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "base/crash.h"
#include "base/json_view.h"
#include "hooks/hooks.h"

namespace berth::runtime {

namespace {

Error damaged(const state::ContainerDir& dir, const std::string& id, const std::string& why) {
  // The container may be running, and deleting the directory would orphan
  // it. Refuse, keep it.
  return make_error(ErrorKind::kInternal,
                    why + " (the record of container \"" + id +
                        "\" is damaged: berth cannot tell what it runs, so it leaves it alone; restore " + dir.path() +
                        "/" + state::kStateFile + " or stop its processes and remove " + dir.path() + ")");
}

}  // namespace

Result<Loaded> load(const state::Store& store, const std::string& id, bool lock) {
  auto dir = lock ? store.lock(id) : store.open(id);
  if (!dir) return std::move(dir).error();
  uid_t owner = 0;
  auto st = dir->load(&owner);
  // Neither state.json nor its backup can be read.
  if (!st && st.error().code != ENOENT) return damaged(*dir, id, st.error().message);
  Loaded c{std::move(*dir), {}, state::Status::kStopped, owner, nullptr};
  if (st) {
    c.st = std::move(*st);
  } else {
    // Never recorded: nothing was made, only the directory to remove. With
    // no record to take the owner from, the directory's owner is it.
    c.st.id = id;
    struct stat sb;
    if (::fstat(c.dir.fd(), &sb) == 0) c.owner = sb.st_uid;
  }
  auto platform = platform::registry().find(c.st.platform);
  if (!platform) return damaged(c.dir, id, std::move(platform).error().message);
  auto container = (*platform)->open(c.dir, c.st);
  if (!container) return damaged(c.dir, id, std::move(container).error().message);
  c.container = std::move(*container);
  c.status = c.container->status();
  // No process yet: a create in progress holds the lock; otherwise it died
  // before making anything, and the container is as good as stopped.
  if (c.status == state::Status::kCreating && !state::is_locked(c.dir)) c.status = state::Status::kStopped;
  return c;
}

nlohmann::ordered_json oci_state(const state::ContainerState& st, pid_t pid, state::Status status) {
  // While creating, the init's pid is known once it was cloned: the hooks of
  // that phase need it (docker's prestart hook opens /proc/<pid>/ns/net).
  bool alive = status != state::Status::kStopped;
  nlohmann::ordered_json j = {
      {"ociVersion", st.oci_version.empty() ? "1.2.0" : st.oci_version},
      {"id", st.id},
      {"pid", alive ? pid : 0},
      {"status", state::status_name(status)},
      {"bundle", st.bundle},
      {"rootfs", st.rootfs},
      {"created", st.created},
      {"owner", ""},
  };
  if (!st.annotations.empty()) j["annotations"] = st.annotations;
  return j;
}

void append_list_entry(std::string& out, const state::ContainerState& st, pid_t pid, state::Status status,
                       std::string_view owner) {
  // oci_state's fields in its order (runtime_test checks the two agree).
  bool alive = status != state::Status::kStopped;
  auto field = [&](const char* name, std::string_view value) {
    out += out.back() == '{' ? "\"" : ",\"";
    out += name;
    out += "\":";
    json::append_string(out, value);
  };
  out += '{';
  field("ociVersion", st.oci_version.empty() ? "1.2.0" : st.oci_version);
  field("id", st.id);
  out += ",\"pid\":";
  out += std::to_string(alive ? pid : 0);
  field("status", state::status_name(status));
  field("bundle", st.bundle);
  field("rootfs", st.rootfs);
  field("created", st.created);
  field("owner", owner);
  if (!st.annotations.empty()) {
    out += ",\"annotations\":{";
    for (const auto& [k, v] : st.annotations) {
      if (out.back() != '{') out += ',';
      json::append_string(out, k);
      out += ':';
      json::append_string(out, v);
    }
    out += '}';
  }
  if (!st.sandbox.empty()) field("sandbox", st.sandbox);
  out += '}';
}

std::string oci_state_json(const state::ContainerState& st, pid_t pid, state::Status status, bool pretty) {
  auto j = oci_state(st, pid, status);
  return pretty ? j.dump(2) : j.dump();
}

Status destroy(Loaded& c, std::vector<std::string>* warnings) {
  if (c.container) BERTH_TRY(c.container->destroy(warnings));
  BERTH_TRY(c.dir.remove());
  crash_point("delete:state-dir");
  hooks::run_all(c.st.poststop, "poststop", oci_state_json(c.st, 0, state::Status::kStopped, false), warnings);
  return {};
}

}  // namespace berth::runtime
