#include "client/task.h"

#include "client/shim_call.h"
#include "oci/parse.h"
#include "runtime/commands.h"
#include "runtime/container.h"
#include "shim/protocol.h"

namespace berth::client {

using libberth::EventType;
namespace lb = libberth;

namespace {

// An exec's error, said once as "exec <container>/<exec id>: ...": the
// context `berth exec` gave it ("exec <container>: ", through the shim) is
// replaced, not repeated.
Error exec_context(Error e, const std::string& container_id, const std::string& exec_id) {
  const std::string berths = "exec " + container_id + ": ";
  if (e.message.starts_with(berths)) e.message.erase(0, berths.size());
  return std::move(e).wrap("exec " + container_id + "/" + exec_id);
}

}  // namespace

lb::Status ExecImpl::remove() {
  Fd asked = core_->ask_exit_before_remove();
  lb::Status s = core_->shim_request("delete", "");
  core_->exit_after_remove(std::move(asked), s.ok());
  // A shim that has gone took the process with it: nothing left to forget.
  if (!s.ok() && !(s.is_not_found() && core_->has_exited())) return s;
  if (on_remove) on_remove();
  return {};
}

lb::Status TaskImpl::start() {
  core_->begin_start();
  std::vector<std::string> warnings;
  // Through the shim, so that what the start makes is its own (a platform
  // whose init is created at start). Here when there is none to ask: a
  // container of plain `berth create`, a shim that has gone, or one too old
  // to know "start".
  auto started = shim_call(core_->dir->get(), std::string("start ") + shim::kInitKey);
  Status r = started ? Status() : Status(started.error());
  if (!r) {
    const Error& e = r.error();
    // connect(2)'s: no socket, or nobody listening on it.
    const bool no_shim = e.kind == ErrorKind::kNotFound && (e.code == ENOENT || e.code == ECONNREFUSED);
    if (no_shim || e.kind == ErrorKind::kNotImplemented) r = runtime::start(store(), core_->container_id, &warnings);
  }
  core_->end_start(bool(r), {EventType::kStart});
  return to_status(r);
}

lb::Status TaskImpl::kill(int signal) { return to_status(runtime::kill(store(), core_->container_id, signal, false)); }

lb::Status TaskImpl::kill_all(int signal) {
  return to_status(runtime::kill(store(), core_->container_id, signal, true));
}

// The event is emitted after the freezer has done its work, and not at all
// if the task exited meanwhile (an exit is the last event of a process).
// The process's lock is not held across the freezer: the watcher thread
// takes it to record exits.
lb::Status TaskImpl::pause() {
  Status r = runtime::pause(store(), core_->container_id);
  if (r) core_->emit_unless_exited(EventType::kPaused);
  return to_status(r);
}

lb::Status TaskImpl::resume() {
  Status r = runtime::resume(store(), core_->container_id);
  if (r) core_->emit_unless_exited(EventType::kResumed);
  return to_status(r);
}

lb::Status TaskImpl::status(lb::TaskStatus* out) {
  auto c = runtime::load(store(), core_->container_id, false);
  if (!c) return to_status(c.error());
  switch (c->status) {
    case state::Status::kCreating:
    case state::Status::kCreated: *out = lb::TaskStatus::kCreated; break;
    case state::Status::kRunning: *out = lb::TaskStatus::kRunning; break;
    case state::Status::kPaused: *out = lb::TaskStatus::kPaused; break;
    case state::Status::kStopped: *out = lb::TaskStatus::kStopped; break;
  }
  return {};
}

lb::Status TaskImpl::stats(lb::Stats* out) {
  auto s = runtime::stats(store(), core_->container_id);
  if (!s) return to_status(s.error());
  out->cpu_usage_ns = s->cpu_usage_ns;
  out->cpu_user_ns = s->cpu_user_ns;
  out->cpu_system_ns = s->cpu_system_ns;
  out->memory_usage = s->memory_usage;
  out->memory_limit = s->memory_limit;
  out->memory_max_usage = s->memory_max_usage;
  out->memory_cache = s->memory_cache;
  out->swap_usage = s->swap_usage;
  out->swap_limit = s->swap_limit;
  out->pids_current = s->pids_current;
  out->pids_limit = s->pids_limit;
  out->oom_kills = s->oom_kills;
  out->memory_raw = s->memory_raw;
  return {};
}

lb::Status TaskImpl::processes(std::vector<lb::ProcessInfo>* out) {
  auto infos = runtime::processes(store(), core_->container_id);
  if (!infos) return to_status(infos.error());
  out->clear();
  for (const auto& i : *infos)
    out->push_back({i.pid, i.ppid, i.uid, i.cpu_time_ns, i.rss_bytes, i.start_time_ticks, i.command});
  return {};
}

lb::Status TaskImpl::update(const std::string& resources_json) {
  auto r = oci::parse_resources(resources_json);
  if (!r) return to_status(std::move(r).error().wrap("resources"));
  return to_status(runtime::update(store(), core_->container_id, *r));
}

lb::Status TaskImpl::exec(const std::string& exec_id, const std::string& process_json, const lb::Stdio& stdio,
                          std::shared_ptr<lb::Process>* process) {
  if (auto r = shim::validate_key(exec_id); !r) return to_status(r.error());
  auto proc = oci::parse_process(process_json);
  if (!proc) return to_status(std::move(proc).error().wrap("process"));
  auto core = std::make_shared<ProcCore>();
  core->shared = core_->shared;
  core->dir = core_->dir;
  core->container_id = core_->container_id;
  core->key = exec_id;
  auto impl = std::make_shared<ExecImpl>(core);
  {
    std::lock_guard lock(mu_);
    if (execs_.count(exec_id))
      return lb::Status(lb::Code::kAlreadyExists, "exec id \"" + exec_id + "\" is in use in " + core->container_id);
    execs_[exec_id] = impl;
  }
  std::weak_ptr<TaskImpl> weak = shared_from_this();
  impl->on_remove = [weak, exec_id] {
    if (auto t = weak.lock()) {
      std::lock_guard lock(t->mu_);
      t->execs_.erase(exec_id);
    }
  };
  auto forget = [&] {
    std::lock_guard lock(mu_);
    execs_.erase(exec_id);
  };
  // The process JSON as given; the shim's `berth exec` merges nothing.
  std::string flags;
  std::vector<int> fds;
  if (stdio.stdin_fd >= 0) flags += 'i', fds.push_back(stdio.stdin_fd);
  if (stdio.stdout_fd >= 0) flags += 'o', fds.push_back(stdio.stdout_fd);
  if (stdio.stderr_fd >= 0) flags += 'e', fds.push_back(stdio.stderr_fd);
  if (proc->terminal) flags += 't';
  if (flags.empty()) flags = "-";
  // exec-added and exec-started both once the process runs, as dockerd's
  // libcontainerd sends them: an exec that never started has no events
  // (and so no exit to wait for).
  core->begin_start();
  auto reply = shim_call(core->dir->get(), "exec " + exec_id + " " + flags + " " + process_json, fds);
  if (reply && reply->rfind("started ", 0) == 0) {
    core->pid = std::atoi(reply->c_str() + 8);
    // Alive (the shim has not reaped it): its handle now, for the fallback.
    if (auto c = runtime::load(store(), core->container_id, false))
      if (auto p = c->container->open_process(core->pid)) core->process = std::move(*p);
  }
  const bool ok = reply && core->pid > 0;
  core->end_start(ok, {EventType::kExecAdded, EventType::kExecStarted});
  if (!ok) {
    forget();
    if (!reply) return to_status(exec_context(std::move(reply).error(), core->container_id, exec_id));
    return lb::Status(lb::Code::kInternal, "exec: unexpected reply from the shim: " + *reply);
  }
  watch_exit(core);
  *process = impl;
  return {};
}

lb::Status TaskImpl::remove() {
  std::vector<std::string> warnings;
  Fd asked = core_->ask_exit_before_remove();
  Status r = runtime::remove(store(), core_->container_id, false, &warnings);
  core_->exit_after_remove(std::move(asked), bool(r));
  if (r) removed_ = true;
  return to_status(r);
}

lb::Status TaskImpl::force_remove() {
  std::vector<std::string> warnings;
  Fd asked = core_->ask_exit_before_remove();
  Status r = runtime::remove(store(), core_->container_id, true, &warnings);
  core_->exit_after_remove(std::move(asked), bool(r));
  if (r) removed_ = true;
  return to_status(r);
}

}  // namespace berth::client
