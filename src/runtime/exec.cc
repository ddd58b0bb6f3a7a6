#include "runtime/exec.h"

#include <nlohmann/json.hpp>

#include "base/file.h"
#include "runtime/container.h"
#include "runtime/create.h"

namespace berth::runtime {

Result<std::string> container_process_json(const state::Store& store, const std::string& id) {
  auto c = load(store, id, false);
  if (!c) return std::move(c).error();
  std::string path = path_join(c->st.bundle, "config.json");
  auto text = read_input_file(path);
  if (!text) return std::move(text).error();
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("process") || !j["process"].is_object())
    return invalid(path + ": no process object");
  return j["process"].dump();
}

Result<Execed> exec(const state::Store& store, const ExecOptions& opts) {
  std::string ctx = "exec " + opts.id;
  auto c = load(store, opts.id, false);
  if (!c) return std::move(c).error().wrap(ctx);
  // As runc: a created container's namespaces and root are complete (its
  // init is parked before execve), so a process can join them.
  bool ok = c->status == state::Status::kRunning || c->status == state::Status::kCreated ||
            (c->status == state::Status::kPaused && opts.ignore_paused);
  if (!ok)
    return make_error(ErrorKind::kConflict, ctx + ": cannot exec in a " + state::status_name(c->status) + " container" +
                                                (c->status == state::Status::kPaused ? " (use --ignore-paused)" : ""));
  platform::ExecRequest req;
  req.process = opts.process;
  req.console_socket = opts.console_socket;
  req.preserve_fds = opts.preserve_fds;
  req.sub_cgroups = opts.sub_cgroups;
  req.state_json = oci_state_json(c->st, c->pid(), state::Status::kRunning, false);
  auto out = c->container->create_process(req);
  if (!out) return std::move(out).error().wrap(ctx);
  if (!opts.pid_file.empty()) {
    if (auto r = write_pid_file(opts.pid_file, out->process->pid()); !r) {
      out->process->terminate();
      return std::move(r).error().wrap(ctx);
    }
  }
  return out;
}

}  // namespace berth::runtime
