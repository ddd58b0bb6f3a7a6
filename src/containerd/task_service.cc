#include "containerd/task_service.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"
#include "containerd/convert.h"
#include "containerd/rootfs.h"
#include "events.pb.h"
#include "metrics.pb.h"
#include "shim.pb.h"

namespace berth::containerd {

namespace lb = libberth;
namespace v2 = ::containerd::task::v2;
namespace ev = ::containerd::events;

namespace {

// Parses payload into a request of type Req, then runs fn with it; a
// payload that is not one is InvalidArgument.
template <class Req, class Fn>
Reply with_request(const std::string& payload, const char* what, Fn fn) {
  Req req;
  if (!req.ParseFromString(payload)) return Reply::error(Code::kInvalidArgument, std::string("bad ") + what);
  return fn(req);
}

Reply not_found(const std::string& id) { return Reply::error(Code::kNotFound, "container " + id + ": not found"); }

Reply empty_reply() { return Reply::ok(""); }  // google.protobuf.Empty: no bytes

}  // namespace

TaskService::TaskService(lb::Client* client, Publisher* publisher) : client_(client), publisher_(publisher) {}

size_t TaskService::size() {
  std::lock_guard lock(mu_);
  return entries_.size();
}

std::shared_ptr<TaskService::Entry> TaskService::find(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  // One being created is not there yet for other calls (its task is unset).
  return it == entries_.end() || !it->second->task ? nullptr : it->second;
}

void TaskService::publish(const std::string& topic, const std::string& type, const std::string& event) {
  publisher_->publish(topic, "containerd.events." + type, event);
}

// libberth's events arrive in order per container (a start before its
// exit): those become containerd's. Create, exec-added and delete are sent
// by the calls themselves, which know what containerd's events carry.
void TaskService::on_event(const lb::Event& e) {
  const bool init = e.process_id == "init";
  switch (e.type) {
    case lb::EventType::kStart: {
      ev::TaskStart m;
      m.set_container_id(e.container_id);
      m.set_pid(static_cast<uint32_t>(e.pid));
      publish("/tasks/start", "TaskStart", m.SerializeAsString());
      break;
    }
    case lb::EventType::kExecStarted: {
      ev::TaskExecStarted m;
      m.set_container_id(e.container_id);
      m.set_exec_id(e.process_id);
      m.set_pid(static_cast<uint32_t>(e.pid));
      publish("/tasks/exec-started", "TaskExecStarted", m.SerializeAsString());
      break;
    }
    case lb::EventType::kPaused:
    case lb::EventType::kResumed: {
      ev::TaskPaused m;  // TaskResumed has the same single field
      m.set_container_id(e.container_id);
      const bool paused = e.type == lb::EventType::kPaused;
      publish(paused ? "/tasks/paused" : "/tasks/resumed", paused ? "TaskPaused" : "TaskResumed",
              m.SerializeAsString());
      break;
    }
    case lb::EventType::kOom: {
      ev::TaskOOM m;
      m.set_container_id(e.container_id);
      publish("/tasks/oom", "TaskOOM", m.SerializeAsString());
      break;
    }
    case lb::EventType::kExit: {
      record_exit(e);
      ev::TaskExit m;
      m.set_container_id(e.container_id);
      m.set_id(init ? e.container_id : e.process_id);  // as containerd's runc shim names them
      m.set_pid(static_cast<uint32_t>(e.exit.pid));
      m.set_exit_status(static_cast<uint32_t>(e.exit.exit_code));
      set_timestamp(e.exit.exited_at, m.mutable_exited_at());
      publish("/tasks/exit", "TaskExit", m.SerializeAsString());
      break;
    }
    case lb::EventType::kCreate:
    case lb::EventType::kExecAdded: break;
  }
}

void TaskService::record_exit(const lb::Event& e) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(e.container_id);
  if (it == entries_.end()) return;
  if (e.process_id == "init") {
    it->second->init.exit = e.exit;
  } else if (auto x = it->second->execs.find(e.process_id); x != it->second->execs.end()) {
    x->second.exit = e.exit;
  }
}

Reply TaskService::create(const std::string& payload) {
  return with_request<v2::CreateTaskRequest>(payload, "CreateTaskRequest", [&](const v2::CreateTaskRequest& req) {
    if (!req.checkpoint().empty()) return Reply::error(Code::kUnimplemented, "create from a checkpoint");
    if (req.id().empty() || req.bundle().empty())
      return Reply::error(Code::kInvalidArgument, "create: no id or bundle");
    auto entry = std::make_shared<Entry>();
    entry->bundle = req.bundle();
    entry->init = Proc{req.stdin(), req.stdout(), req.stderr(), req.terminal(), "", nullptr, std::nullopt};
    {
      std::lock_guard lock(mu_);
      if (!entries_.emplace(req.id(), entry).second)
        return Reply::error(Code::kAlreadyExists, "container " + req.id() + ": already exists");
    }
    auto fail = [&](Reply r) {
      if (entry->container) (void)entry->container->remove();
      if (entry->mounted_rootfs) unmount_rootfs(entry->bundle);
      std::lock_guard lock(mu_);
      entries_.erase(req.id());
      return r;
    };
    std::vector<MountSpec> mounts;
    for (const auto& m : req.rootfs())
      mounts.push_back({m.type(), m.source(), {m.options().begin(), m.options().end()}});
    if (auto s = mount_rootfs(entry->bundle, mounts); !s) return fail(error_reply(s.error()));
    entry->mounted_rootfs = !mounts.empty();
    auto spec = read_file(path_join(entry->bundle, "config.json"));
    if (!spec) return fail(error_reply(spec.error()));
    if (auto s = client_->create_container(req.id(), *spec, {.bundle = req.bundle()}, &entry->container); !s.ok())
      return fail(status_reply(s));
    auto stdio = open_stdio(entry->init.stdin_path, entry->init.stdout_path, entry->init.stderr_path);
    if (!stdio) return fail(error_reply(stdio.error()));
    std::shared_ptr<lb::Task> task;
    if (auto s = entry->container->new_task(stdio->stdio(), &task); !s.ok()) return fail(status_reply(s));
    {
      std::lock_guard lock(mu_);
      entry->task = task;
      entry->init.proc = task;
    }
    ev::TaskCreate m;
    m.set_container_id(req.id());
    m.set_bundle(req.bundle());
    *m.mutable_rootfs() = req.rootfs();
    m.mutable_io()->set_stdin(req.stdin());
    m.mutable_io()->set_stdout(req.stdout());
    m.mutable_io()->set_stderr(req.stderr());
    m.mutable_io()->set_terminal(req.terminal());
    m.set_pid(static_cast<uint32_t>(task->pid()));
    publish("/tasks/create", "TaskCreate", m.SerializeAsString());
    v2::CreateTaskResponse resp;
    resp.set_pid(static_cast<uint32_t>(task->pid()));
    return Reply::ok(resp.SerializeAsString());
  });
}

Reply TaskService::start(const std::string& payload) {
  return with_request<v2::StartRequest>(payload, "StartRequest", [&](const v2::StartRequest& req) {
    auto entry = find(req.id());
    if (!entry) return not_found(req.id());
    v2::StartResponse resp;
    if (req.exec_id().empty()) {
      if (auto s = entry->task->start(); !s.ok()) return status_reply(s);
      resp.set_pid(static_cast<uint32_t>(entry->task->pid()));
      return Reply::ok(resp.SerializeAsString());
    }
    Proc p;
    {
      std::lock_guard lock(mu_);
      auto it = entry->execs.find(req.exec_id());
      if (it == entry->execs.end()) return Reply::error(Code::kNotFound, "exec " + req.exec_id() + ": not found");
      if (it->second.proc) return Reply::error(Code::kFailedPrecondition, "exec " + req.exec_id() + ": started");
      p = it->second;
    }
    auto stdio = open_stdio(p.stdin_path, p.stdout_path, p.stderr_path);
    if (!stdio) return error_reply(stdio.error());
    std::shared_ptr<lb::Process> proc;
    if (auto s = entry->task->exec(req.exec_id(), p.spec_json, stdio->stdio(), &proc); !s.ok()) return status_reply(s);
    {
      std::lock_guard lock(mu_);
      if (auto it = entry->execs.find(req.exec_id()); it != entry->execs.end()) it->second.proc = proc;
    }
    execs_changed_.notify_all();
    resp.set_pid(static_cast<uint32_t>(proc->pid()));
    return Reply::ok(resp.SerializeAsString());
  });
}

Reply TaskService::exec(const std::string& payload) {
  return with_request<v2::ExecProcessRequest>(payload, "ExecProcessRequest", [&](const v2::ExecProcessRequest& req) {
    auto entry = find(req.id());
    if (!entry) return not_found(req.id());
    if (req.exec_id().empty()) return Reply::error(Code::kInvalidArgument, "exec: no exec id");
    {
      std::lock_guard lock(mu_);
      Proc p{req.stdin(), req.stdout(), req.stderr(), req.terminal(), req.spec().value(), nullptr, std::nullopt};
      if (!entry->execs.emplace(req.exec_id(), p).second)
        return Reply::error(Code::kAlreadyExists, "exec " + req.exec_id() + ": already exists");
    }
    ev::TaskExecAdded m;
    m.set_container_id(req.id());
    m.set_exec_id(req.exec_id());
    publish("/tasks/exec-added", "TaskExecAdded", m.SerializeAsString());
    return empty_reply();
  });
}

// The process an (id, exec id) request names, started; or the reply saying
// why there is none.
static std::variant<std::shared_ptr<lb::Process>, Reply> started(std::mutex& mu, TaskService::Entry& entry,
                                                                 const std::string& exec_id) {
  std::lock_guard lock(mu);
  if (exec_id.empty()) return entry.init.proc;
  auto it = entry.execs.find(exec_id);
  if (it == entry.execs.end()) return Reply::error(Code::kNotFound, "exec " + exec_id + ": not found");
  if (!it->second.proc) return Reply::error(Code::kFailedPrecondition, "exec " + exec_id + ": not started");
  return it->second.proc;
}

Reply TaskService::kill(const std::string& payload) {
  return with_request<v2::KillRequest>(payload, "KillRequest", [&](const v2::KillRequest& req) {
    auto entry = find(req.id());
    if (!entry) return not_found(req.id());
    const int sig = static_cast<int>(req.signal());
    if (req.exec_id().empty() && req.all()) return status_reply(entry->task->kill_all(sig));
    auto p = started(mu_, *entry, req.exec_id());
    if (auto* r = std::get_if<Reply>(&p)) return *r;
    return status_reply(std::get<0>(p)->kill(sig));
  });
}

Reply TaskService::remove(const std::string& payload) {
  return with_request<v2::DeleteRequest>(payload, "DeleteRequest", [&](const v2::DeleteRequest& req) {
    auto entry = find(req.id());
    if (!entry) return not_found(req.id());
    v2::DeleteResponse resp;
    lb::ExitStatus exit;
    if (!req.exec_id().empty()) {
      auto p = started(mu_, *entry, req.exec_id());
      if (auto* r = std::get_if<Reply>(&p)) {
        // An exec that never started goes as it came.
        std::lock_guard lock(mu_);
        if (r->code != Code::kFailedPrecondition) return *r;
        entry->execs.erase(req.exec_id());
        execs_changed_.notify_all();
        return Reply::ok(resp.SerializeAsString());
      }
      auto proc = std::get<0>(p);
      if (auto s = proc->remove(); !s.ok()) return status_reply(s);
      (void)proc->wait(&exit);  // exited: returns at once
      std::lock_guard lock(mu_);
      entry->execs.erase(req.exec_id());
      execs_changed_.notify_all();
    } else {
      lb::TaskStatus st = lb::TaskStatus::kStopped;
      (void)entry->task->status(&st);
      // A task never started is removed (its parked init killed), as runc's
      // shim deletes a created container.
      auto s = st == lb::TaskStatus::kCreated ? entry->task->force_remove() : entry->task->remove();
      if (!s.ok()) return status_reply(s);
      (void)entry->task->wait(&exit);
      (void)entry->container->remove();
      if (entry->mounted_rootfs) unmount_rootfs(entry->bundle);
      {
        std::lock_guard lock(mu_);
        entries_.erase(req.id());
        entry->execs.clear();  // a Wait on one never started ends (NotFound)
      }
      execs_changed_.notify_all();
      ev::TaskDelete m;
      m.set_container_id(req.id());
      m.set_pid(static_cast<uint32_t>(exit.pid));
      m.set_exit_status(static_cast<uint32_t>(exit.exit_code));
      set_timestamp(exit.exited_at, m.mutable_exited_at());
      publish("/tasks/delete", "TaskDelete", m.SerializeAsString());
    }
    resp.set_pid(static_cast<uint32_t>(exit.pid));
    resp.set_exit_status(static_cast<uint32_t>(exit.exit_code));
    set_timestamp(exit.exited_at, resp.mutable_exited_at());
    return Reply::ok(resp.SerializeAsString());
  });
}

Reply TaskService::state(const std::string& payload) {
  return with_request<v2::StateRequest>(payload, "StateRequest", [&](const v2::StateRequest& req) {
    auto entry = find(req.id());
    if (!entry) return not_found(req.id());
    v2::StateResponse resp;
    resp.set_id(req.id());
    resp.set_bundle(entry->bundle);
    resp.set_exec_id(req.exec_id());
    Proc p;
    {
      std::lock_guard lock(mu_);
      if (req.exec_id().empty()) {
        p = entry->init;
      } else {
        auto it = entry->execs.find(req.exec_id());
        if (it == entry->execs.end()) return Reply::error(Code::kNotFound, "exec " + req.exec_id() + ": not found");
        p = it->second;
      }
    }
    resp.set_stdin(p.stdin_path);
    resp.set_stdout(p.stdout_path);
    resp.set_stderr(p.stderr_path);
    resp.set_terminal(p.terminal);
    resp.set_status(::containerd::v1::types::CREATED);
    if (!p.proc) return Reply::ok(resp.SerializeAsString());
    resp.set_pid(static_cast<uint32_t>(p.proc->pid()));
    lb::TaskStatus st = lb::TaskStatus::kRunning;
    if (req.exec_id().empty()) {
      if (auto s = entry->task->status(&st); !s.ok()) return status_reply(s);
    }
    // An exec runs until its exit event; a stopped init's wait returns at once.
    std::optional<lb::ExitStatus> exit = p.exit;
    if (!exit && st == lb::TaskStatus::kStopped) {
      lb::ExitStatus e;
      if (p.proc->wait(&e).ok()) exit = e;
    }
    if (exit) {
      st = lb::TaskStatus::kStopped;
      resp.set_exit_status(static_cast<uint32_t>(exit->exit_code));
      set_timestamp(exit->exited_at, resp.mutable_exited_at());
    }
    resp.set_status(task_status(st));
    return Reply::ok(resp.SerializeAsString());
  });
}

Reply TaskService::wait(const std::string& payload) {
  return with_request<v2::WaitRequest>(payload, "WaitRequest", [&](const v2::WaitRequest& req) {
    auto entry = find(req.id());
    if (!entry) return not_found(req.id());
    std::shared_ptr<lb::Process> proc;
    {
      std::lock_guard lock(mu_);
      if (req.exec_id().empty()) {
        proc = entry->init.proc;
      } else {
        auto it = entry->execs.find(req.exec_id());
        if (it == entry->execs.end()) return Reply::error(Code::kNotFound, "exec " + req.exec_id() + ": not found");
        proc = it->second.proc;
      }
    }
    if (!proc) {
      // An exec not started yet (containerd waits before it starts): until
      // its Start gives it a process, or a Delete takes it away.
      std::unique_lock lock(mu_);
      for (;;) {
        auto it = entry->execs.find(req.exec_id());
        if (it == entry->execs.end()) return Reply::error(Code::kNotFound, "exec " + req.exec_id() + ": not found");
        if ((proc = it->second.proc)) break;
        execs_changed_.wait(lock);
      }
    }
    lb::ExitStatus exit;
    if (auto s = proc->wait(&exit); !s.ok()) return status_reply(s);
    v2::WaitResponse resp;
    resp.set_exit_status(static_cast<uint32_t>(exit.exit_code));
    set_timestamp(exit.exited_at, resp.mutable_exited_at());
    return Reply::ok(resp.SerializeAsString());
  });
}

Reply TaskService::pids(const std::string& payload) {
  return with_request<v2::PidsRequest>(payload, "PidsRequest", [&](const v2::PidsRequest& req) {
    auto entry = find(req.id());
    if (!entry) return not_found(req.id());
    std::vector<lb::ProcessInfo> procs;
    if (auto s = entry->task->processes(&procs); !s.ok()) return status_reply(s);
    v2::PidsResponse resp;
    for (const auto& p : procs) resp.add_processes()->set_pid(static_cast<uint32_t>(p.pid));
    return Reply::ok(resp.SerializeAsString());
  });
}

Reply TaskService::stats(const std::string& payload) {
  return with_request<v2::StatsRequest>(payload, "StatsRequest", [&](const v2::StatsRequest& req) {
    auto entry = find(req.id());
    if (!entry) return not_found(req.id());
    lb::Stats st;
    if (auto s = entry->task->stats(&st); !s.ok()) return status_reply(s);
    v2::StatsResponse resp;
    resp.mutable_stats()->set_type_url("io.containerd.cgroups.v1.Metrics");
    resp.mutable_stats()->set_value(metrics(st));
    return Reply::ok(resp.SerializeAsString());
  });
}

Reply TaskService::pause(const std::string& payload, bool resume) {
  return with_request<v2::PauseRequest>(payload, "PauseRequest", [&](const v2::PauseRequest& req) {
    auto entry = find(req.id());
    if (!entry) return not_found(req.id());
    auto s = resume ? entry->task->resume() : entry->task->pause();
    return s.ok() ? empty_reply() : status_reply(s);
  });
}

Reply TaskService::resize(const std::string& payload) {
  return with_request<v2::ResizePtyRequest>(payload, "ResizePtyRequest", [&](const v2::ResizePtyRequest& req) {
    auto entry = find(req.id());
    if (!entry) return not_found(req.id());
    auto p = started(mu_, *entry, req.exec_id());
    if (auto* r = std::get_if<Reply>(&p)) return *r;
    auto s = std::get<0>(p)->resize(req.width(), req.height());
    return s.ok() ? empty_reply() : status_reply(s);
  });
}

Reply TaskService::close_io(const std::string& payload) {
  return with_request<v2::CloseIORequest>(payload, "CloseIORequest", [&](const v2::CloseIORequest& req) {
    auto entry = find(req.id());
    if (!entry) return not_found(req.id());
    auto p = started(mu_, *entry, req.exec_id());
    if (auto* r = std::get_if<Reply>(&p)) return *r;
    if (!req.stdin()) return empty_reply();
    auto s = std::get<0>(p)->close_stdin();
    return s.ok() ? empty_reply() : status_reply(s);
  });
}

Reply TaskService::update(const std::string& payload) {
  return with_request<v2::UpdateTaskRequest>(payload, "UpdateTaskRequest", [&](const v2::UpdateTaskRequest& req) {
    auto entry = find(req.id());
    if (!entry) return not_found(req.id());
    // containerd sends the runtime-spec's LinuxResources as JSON in the Any.
    auto s = entry->task->update(req.resources().value());
    return s.ok() ? empty_reply() : status_reply(s);
  });
}

Reply TaskService::connect(const std::string& payload) {
  return with_request<v2::ConnectRequest>(payload, "ConnectRequest", [&](const v2::ConnectRequest& req) {
    v2::ConnectResponse resp;
    resp.set_shim_pid(static_cast<uint32_t>(::getpid()));
    resp.set_version("berth");
    if (auto entry = find(req.id()); entry && entry->task) resp.set_task_pid(static_cast<uint32_t>(entry->task->pid()));
    return Reply::ok(resp.SerializeAsString());
  });
}

void TaskService::install(Server* server, std::function<void()> shutdown) {
  const std::string svc = "containerd.task.v2.Task";
  auto add = [&](const char* name, Reply (TaskService::*fn)(const std::string&)) {
    server->add(svc, name, [this, fn](const Call& c) { return (this->*fn)(c.payload); });
  };
  add("Create", &TaskService::create);
  add("Start", &TaskService::start);
  add("Delete", &TaskService::remove);
  add("Exec", &TaskService::exec);
  add("Kill", &TaskService::kill);
  add("State", &TaskService::state);
  add("Wait", &TaskService::wait);
  add("Pids", &TaskService::pids);
  add("Stats", &TaskService::stats);
  add("ResizePty", &TaskService::resize);
  add("CloseIO", &TaskService::close_io);
  add("Update", &TaskService::update);
  add("Connect", &TaskService::connect);
  server->add(svc, "Pause", [this](const Call& c) { return pause(c.payload, false); });
  server->add(svc, "Resume", [this](const Call& c) { return pause(c.payload, true); });
  server->add(svc, "Checkpoint", [](const Call&) {
    return Reply::error(Code::kUnimplemented, "checkpoint: berth does not checkpoint containers");
  });
  server->add(svc, "Shutdown", [this, shutdown](const Call& c) {
    return with_request<v2::ShutdownRequest>(c.payload, "ShutdownRequest", [&](const v2::ShutdownRequest& req) {
      // The pod's shim stays while any container of the pod is left.
      if (req.now() || size() == 0) shutdown();
      return empty_reply();
    });
  });
}

}  // namespace berth::containerd
