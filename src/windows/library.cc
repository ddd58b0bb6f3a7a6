// libberth for Windows (include/berth/berth.h) over the Windows lifecycle
// (container.h): what seed 003's `local` client does with HCS directly,
// with berth's shims, so that containers outlive the daemon as they do on
// Linux.
//
// - create_container checks the spec and writes it to the bundle; new_task
//   creates the compute system and its shim (berth.exe shim) with the
//   caller's stdio; start starts it. The init's exit: the shim records it
//   and ends, and a watcher thread per started task waits for the shim's
//   process, then reads the record (code 255 when the shim died first, as
//   on Linux).
// - An exec's process is created here, in the caller's process, as the
//   local client does: HCS gives its stdio pipes to this process, which
//   pumps them to the caller's handles, and its exit comes by HCS's event.
// - Events go out on one thread, in the order they happened, so every
//   container's are in order (the API allows more threads; one suffices).
// - Not on Windows yet: resize (no terminals), close_stdin of an init (its
//   shim holds the pipe), update, and the OOM event.
#include <io.h>

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "berth/berth.h"
#include "oci/parse.h"
#include "runtime/membership.h"
#include "state/id.h"
#include "windows/container.h"

namespace berth::win {

namespace lb = libberth;
namespace hcs = platform::hcs;

namespace {

lb::Status to_status(const Error& e) {
  lb::Code c = lb::Code::kInternal;
  switch (e.kind) {
    case ErrorKind::kInvalidArgument: c = lb::Code::kInvalidArgument; break;
    case ErrorKind::kNotFound: c = lb::Code::kNotFound; break;
    case ErrorKind::kAlreadyExists: c = lb::Code::kAlreadyExists; break;
    case ErrorKind::kConflict: c = lb::Code::kConflict; break;
    case ErrorKind::kNotImplemented: c = lb::Code::kNotImplemented; break;
    case ErrorKind::kInternal: break;
  }
  return lb::Status(c, e.message);
}
lb::Status to_status(const Status& s) { return s ? lb::Status() : to_status(s.error()); }

// The HANDLE behind a C runtime fd (-1: none).
HANDLE handle_of(int fd) {
  if (fd < 0) return nullptr;
  auto h = reinterpret_cast<HANDLE>(_get_osfhandle(fd));
  return h == INVALID_HANDLE_VALUE ? nullptr : h;
}

// Events, delivered in order on one thread; dropped once closed.
class Events {
 public:
  Events() : thread_([this] { run(); }) {}
  ~Events() {
    {
      std::lock_guard lock(mu_);
      closing_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void set_handler(lb::EventHandler h) {
    std::lock_guard lock(mu_);
    handler_ = std::move(h);
  }
  void emit(lb::Event e) {
    e.time = now_rfc3339();
    std::lock_guard lock(mu_);
    if (closing_) return;
    queue_.push_back(std::move(e));
    cv_.notify_all();
  }

 private:
  void run() {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return closing_ || !queue_.empty(); });
      if (queue_.empty()) return;  // closing, and all delivered
      lb::Event e = std::move(queue_.front());
      queue_.pop_front();
      auto h = handler_;
      lock.unlock();
      if (h) h(e);
      lock.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<lb::Event> queue_;
  lb::EventHandler handler_;
  bool closing_ = false;
  std::thread thread_;
};

// What every object of a client shares; outlives the Client while any
// object holds it. events goes with the Client (no events after it).
struct Shared {
  Shared(Store s, std::string exe) : store(std::move(s)), berth_exe(std::move(exe)) {}
  Store store;
  std::string berth_exe;
  std::mutex mu;
  std::shared_ptr<Events> events;  // null once the Client is gone

  void emit(lb::Event e) {
    std::shared_ptr<Events> ev;
    {
      std::lock_guard lock(mu);
      ev = events;
    }
    if (ev) ev->emit(std::move(e));
  }
};

lb::Event event(lb::EventType t, const std::string& cid, const std::string& pid_name, int pid) {
  lb::Event e;
  e.type = t;
  e.container_id = cid;
  e.process_id = pid_name;
  e.pid = pid;
  return e;
}

// A process's exit, once known, and those waiting for it.
struct ExitBox {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<lb::ExitStatus> exit;

  void set(const lb::ExitStatus& e) {
    {
      std::lock_guard lock(mu);
      if (exit) return;
      exit = e;
    }
    cv.notify_all();
  }
  lb::ExitStatus wait() {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return exit.has_value(); });
    return *exit;
  }
  bool known() {
    std::lock_guard lock(mu);
    return exit.has_value();
  }
};

// An exec'd process: the HCS process, its exit, its stdin's write end.
// Shared with the threads that pump and watch it, so dropping the handle
// blocks on nothing.
// The write end of an exec's stdin, shared with the thread copying the
// caller's stdin into it: close_stdin or the process's exit closes it, and
// the thread (blocked reading the caller's stdin, which nothing can
// interrupt) holds only this, not the process.
struct StdinPipe {
  std::mutex mu;
  Handle to;
  void close() {
    std::lock_guard lock(mu);
    to.reset();
  }
};

struct ExecCore {
  std::shared_ptr<Shared> shared;
  std::string cid, id;
  std::unique_ptr<hcs::Process> p;
  ExitBox box;
  std::shared_ptr<StdinPipe> in = std::make_shared<StdinPipe>();
};

class ExecImpl final : public lb::Process {
 public:
  explicit ExecImpl(std::shared_ptr<ExecCore> core) : core_(std::move(core)) {}

  // Pumps the process's stdio to and from stdio's handles, and watches for
  // its exit; the exit event follows everything it printed.
  static void run(const std::shared_ptr<ExecCore>& core, const lb::Stdio& stdio) {
    core->in->to = std::move(core->p->std_in);
    if (Handle from = duplicate(handle_of(stdio.stdin_fd)); from && core->in->to) {
      std::thread([in = core->in, from = std::move(from)] {
        char buf[8192];
        DWORD n = 0, w = 0;
        while (ReadFile(from.get(), buf, sizeof buf, &n, nullptr) && n > 0) {
          std::lock_guard lock(in->mu);
          if (!in->to || !WriteFile(in->to.get(), buf, n, &w, nullptr)) return;
        }
        in->close();  // the caller's stdin ended: so does the process's
      }).detach();
    }
    std::thread o, e;
    if (core->p->std_out) o = std::thread(pump, std::move(core->p->std_out), duplicate(handle_of(stdio.stdout_fd)));
    if (core->p->std_err) e = std::thread(pump, std::move(core->p->std_err), duplicate(handle_of(stdio.stderr_fd)));
    std::thread([core, o = std::move(o), e = std::move(e)]() mutable {
      WaitForSingleObject(core->p->exited(), INFINITE);
      core->in->close();
      if (o.joinable()) o.join();
      if (e.joinable()) e.join();
      // No code from HCS: 255, as for an exit nobody saw (containerd's too).
      lb::ExitStatus x{static_cast<int>(core->p->pid()), static_cast<int>(core->p->exit_code().value_or(255)), 0,
                       now_rfc3339()};
      core->box.set(x);
      lb::Event ev = event(lb::EventType::kExit, core->cid, core->id, x.pid);
      ev.exit = x;
      core->shared->emit(ev);
    }).detach();
  }

  const std::string& container_id() const override { return core_->cid; }
  const std::string& id() const override { return core_->id; }
  int pid() const override { return static_cast<int>(core_->p->pid()); }
  lb::Status kill(int) override {
    // HCS has no signals for an exec'd process: any ends it (seed 003).
    return to_status(core_->p->terminate());
  }
  lb::Status resize(unsigned, unsigned) override {
    return lb::Status(lb::Code::kConflict, "exec " + core_->id + ": no terminal");
  }
  lb::Status close_stdin() override {
    core_->in->close();
    return {};
  }
  lb::Status wait(lb::ExitStatus* exit) override {
    *exit = core_->box.wait();
    return {};
  }
  lb::Status remove() override {
    if (!core_->box.known()) return lb::Status(lb::Code::kConflict, "exec " + core_->id + " is running");
    return {};
  }
  bool exited() const { return core_->box.known(); }

 private:
  std::shared_ptr<ExecCore> core_;
};

class TaskImpl final : public lb::Task, public std::enable_shared_from_this<TaskImpl> {
 public:
  TaskImpl(std::shared_ptr<Shared> shared, std::string id, uint32_t shim_pid)
      : shared_(std::move(shared)), id_(std::move(id)), shim_pid_(shim_pid) {}

  // Waits (on a thread of its own) for the shim, which ends once the init
  // has exited and its exit is recorded.
  void watch() {
    std::lock_guard lock(mu_);
    if (watching_) return;
    watching_ = true;
    Handle shim;
    if (auto r = shared_->store.load(id_)) shim = open_shim(*r, SYNCHRONIZE);
    std::thread([self = shared_from_this(), shim = std::move(shim)] {
      if (shim) WaitForSingleObject(shim.get(), INFINITE);
      lb::ExitStatus x{self->pid(), 255, 0, now_rfc3339()};
      if (auto r = self->shared_->store.load(self->id_); r && r->exit_code)
        x.exit_code = static_cast<int>(*r->exit_code);
      self->box_.set(x);
      lb::Event ev = event(lb::EventType::kExit, self->id_, "init", x.pid);
      ev.exit = x;
      self->shared_->emit(ev);
    }).detach();
  }

  const std::string& container_id() const override { return id_; }
  const std::string& id() const override { return init_name_; }
  int pid() const override {
    std::lock_guard lock(mu_);
    return static_cast<int>(init_pid_ ? init_pid_ : shim_pid_);
  }
  void set_init_pid(uint32_t pid) {
    std::lock_guard lock(mu_);
    init_pid_ = pid;
  }

  lb::Status start() override {
    auto pid = win::start(shared_->store, id_);
    if (!pid) return to_status(pid.error());
    set_init_pid(*pid);
    shared_->emit(event(lb::EventType::kStart, id_, "init", static_cast<int>(*pid)));
    watch();
    return {};
  }
  lb::Status kill(int signal) override { return to_status(win::kill(shared_->store, id_, signal)); }
  lb::Status kill_all(int signal) override { return kill(signal); }
  lb::Status pause() override { return pause_or_resume(false); }
  lb::Status resume() override { return pause_or_resume(true); }
  lb::Status resize(unsigned, unsigned) override {
    return lb::Status(lb::Code::kConflict, "container " + id_ + ": no terminal");
  }
  lb::Status close_stdin() override {
    return lb::Status(lb::Code::kNotImplemented, "container " + id_ + ": its shim holds the init's stdin");
  }
  lb::Status wait(lb::ExitStatus* exit) override {
    {
      std::lock_guard lock(mu_);
      if (!watching_) return lb::Status(lb::Code::kConflict, "container " + id_ + " has not started");
    }
    *exit = box_.wait();
    return {};
  }
  lb::Status status(lb::TaskStatus* out) override {
    auto r = shared_->store.load(id_);
    if (!r) return to_status(r.error());
    const std::string s = status_now(*r);
    *out = s == "running"   ? lb::TaskStatus::kRunning
           : s == "paused"  ? lb::TaskStatus::kPaused
           : s == "created" ? lb::TaskStatus::kCreated
                            : lb::TaskStatus::kStopped;
    return {};
  }
  lb::Status stats(lb::Stats* out) override {
    auto st = statistics(shared_->store, id_);
    if (!st) return to_status(st.error());
    *out = lb::Stats{};
    out->cpu_usage_ns = st->cpu_ns;
    out->cpu_user_ns = st->cpu_user_ns;
    out->cpu_system_ns = st->cpu_kernel_ns;
    out->memory_usage = st->memory_commit;
    out->memory_max_usage = st->memory_commit_peak;
    out->memory_raw["private_working_set"] = st->memory_private_working_set;
    return {};
  }
  lb::Status processes(std::vector<lb::ProcessInfo>* out) override {
    auto list = process_list(shared_->store, id_);
    if (!list) return to_status(list.error());
    out->clear();
    for (const auto& p : *list) {
      lb::ProcessInfo info;
      info.pid = static_cast<int>(p.pid);
      info.command = p.image;
      out->push_back(info);
    }
    return {};
  }
  lb::Status update(const std::string&) override {
    return lb::Status(lb::Code::kNotImplemented, "update: not on Windows yet");
  }
  lb::Status exec(const std::string& exec_id, const std::string& process_json, const lb::Stdio& stdio,
                  std::shared_ptr<lb::Process>* process) override {
    if (exec_id.empty() || exec_id == "init") return lb::Status(lb::Code::kInvalidArgument, "exec: a bad exec id");
    auto parsed = oci::parse_windows_process(process_json);
    if (!parsed) return to_status(std::move(parsed).error().wrap("exec " + exec_id));
    auto r = shared_->store.load(id_);
    if (!r) return to_status(r.error());
    auto text = read_file(r->bundle + "\\config.json");
    if (!text) return to_status(text.error());
    auto spec = oci::parse_spec(*text);
    if (!spec || !spec->process) return lb::Status(lb::Code::kInternal, r->bundle + "\\config.json: unreadable");
    {
      std::lock_guard lock(mu_);
      // An id is free again once its process has exited.
      if (auto it = execs_.find(exec_id); it != execs_.end() && !it->second->exited())
        return lb::Status(lb::Code::kAlreadyExists, "exec " + exec_id + " is in use");
    }
    auto p = win::exec(shared_->store, id_, *parsed, *spec->process);
    if (!p) return to_status(p.error());
    const int pid = static_cast<int>((*p)->pid());
    auto core = std::make_shared<ExecCore>();
    core->shared = shared_;
    core->cid = id_;
    core->id = exec_id;
    core->p = std::move(*p);
    auto e = std::make_shared<ExecImpl>(core);
    {
      std::lock_guard lock(mu_);
      execs_[exec_id] = e;
    }
    // Both once it runs, as dockerd's libcontainerd sends them; then its exit.
    shared_->emit(event(lb::EventType::kExecAdded, id_, exec_id, 0));
    shared_->emit(event(lb::EventType::kExecStarted, id_, exec_id, pid));
    ExecImpl::run(core, stdio);
    *process = e;
    return {};
  }
  lb::Status remove() override { return to_status(win::remove(shared_->store, id_, false)); }
  lb::Status force_remove() override { return to_status(win::remove(shared_->store, id_, true)); }

 private:
  lb::Status pause_or_resume(bool resume) {
    if (auto s = win::pause(shared_->store, id_, resume); !s) return to_status(s);
    shared_->emit(event(resume ? lb::EventType::kResumed : lb::EventType::kPaused, id_, "init", 0));
    return {};
  }

  std::shared_ptr<Shared> shared_;
  const std::string id_;
  const std::string init_name_ = "init";
  const uint32_t shim_pid_;
  mutable std::mutex mu_;
  uint32_t init_pid_ = 0;
  bool watching_ = false;
  ExitBox box_;
  std::map<std::string, std::shared_ptr<ExecImpl>> execs_;  // by exec id
};

class ContainerImpl final : public lb::Container {
 public:
  ContainerImpl(std::shared_ptr<Shared> shared, std::string id, std::string bundle, std::string sandbox)
      : shared_(std::move(shared)), id_(std::move(id)), bundle_(std::move(bundle)), sandbox_(std::move(sandbox)) {}

  const std::string& id() const override { return id_; }
  const std::string& bundle() const override { return bundle_; }
  std::string sandbox() const override { return sandbox_; }

  lb::Status new_task(const lb::Stdio& stdio, std::shared_ptr<lb::Task>* task) override {
    std::lock_guard lock(mu_);
    if (task_) return lb::Status(lb::Code::kAlreadyExists, "container " + id_ + " has a task");
    CreateRequest req{.id = id_, .bundle = bundle_, .berth_exe = shared_->berth_exe};
    req.std_in = handle_of(stdio.stdin_fd);
    req.std_out = handle_of(stdio.stdout_fd);
    req.std_err = handle_of(stdio.stderr_fd);
    auto shim = create(shared_->store, req);
    if (!shim) return to_status(shim.error());
    task_ = std::make_shared<TaskImpl>(shared_, id_, *shim);
    shared_->emit(event(lb::EventType::kCreate, id_, "init", static_cast<int>(*shim)));
    *task = task_;
    return {};
  }
  lb::Status task(std::shared_ptr<lb::Task>* task) override {
    std::lock_guard lock(mu_);
    if (!task_) return lb::Status(lb::Code::kNotFound, "container " + id_ + " has no task");
    *task = task_;
    return {};
  }
  lb::Status remove() override {
    if (shared_->store.load(id_)) return lb::Status(lb::Code::kConflict, "container " + id_ + " has a task");
    std::lock_guard lock(mu_);
    task_.reset();
    return {};
  }
  void adopt(std::shared_ptr<TaskImpl> t) { task_ = std::move(t); }

 private:
  std::shared_ptr<Shared> shared_;
  const std::string id_, bundle_, sandbox_;
  std::mutex mu_;
  std::shared_ptr<TaskImpl> task_;
};

// berth.exe, as ClientOptions::berth_binary says, or found: $BERTH_BINARY,
// then beside this program, then on PATH.
Result<std::string> find_berth(const std::string& given) {
  auto exists = [](const std::string& p) {
    DWORD a = GetFileAttributesW(wide(p).c_str());
    return a != INVALID_FILE_ATTRIBUTES && !(a & FILE_ATTRIBUTE_DIRECTORY);
  };
  if (!given.empty()) {
    if (exists(given)) return given;
    return invalid("berth_binary: " + given + " does not exist");
  }
  if (const char* env = std::getenv("BERTH_BINARY"); env && *env && exists(env)) return std::string(env);
  wchar_t buf[MAX_PATH];
  DWORD n = GetModuleFileNameW(nullptr, buf, MAX_PATH);
  std::string self = n > 0 && n < MAX_PATH ? utf8(buf) : "";
  std::string beside = self.substr(0, self.find_last_of('\\') + 1) + "berth.exe";
  if (!self.empty() && exists(beside)) return beside;
  n = SearchPathW(nullptr, L"berth.exe", nullptr, MAX_PATH, buf, nullptr);
  if (n > 0 && n < MAX_PATH) return utf8(buf);
  return invalid("berth_binary: no berth.exe in $BERTH_BINARY, beside this program (" + beside + ") or on PATH");
}

class ClientImpl final : public lb::Client {
 public:
  explicit ClientImpl(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}
  ~ClientImpl() override {
    std::shared_ptr<Events> ev;
    {
      std::lock_guard lock(shared_->mu);
      ev = std::move(shared_->events);
    }
    // ev's destructor delivers what is queued, then stops.
  }

  void set_event_handler(lb::EventHandler handler) override {
    std::lock_guard lock(shared_->mu);
    if (shared_->events) shared_->events->set_handler(std::move(handler));
  }

  lb::Status create_container(const std::string& id, const std::string& spec_json, const lb::ContainerOptions& options,
                              std::shared_ptr<lb::Container>* container) override {
    if (auto s = state::validate_id(id); !s) return to_status(s);
    auto spec = oci::parse_spec(spec_json);
    if (!spec) return to_status(spec.error());
    if (!spec->windows)
      return lb::Status(lb::Code::kInvalidArgument, "windows: a Windows container's spec needs a \"windows\" section");
    auto m = runtime::sandbox::parse(spec->annotations, id);
    if (!m) return to_status(m.error());
    if (options.bundle.empty()) return lb::Status(lb::Code::kInvalidArgument, "bundle: a bundle directory is needed");
    std::lock_guard lock(mu_);
    if (auto it = pending_.find(id); (it != pending_.end() && !it->second.expired()) || shared_->store.load(id))
      return lb::Status(lb::Code::kAlreadyExists, "container \"" + id + "\" already exists");
    const std::string bundle = absolute(options.bundle);
    const std::string path = bundle + "\\config.json";
    Handle f(CreateFileW(wide(path).c_str(), GENERIC_WRITE, 0, nullptr, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr));
    DWORD n = 0;
    if (!f || !WriteFile(f.get(), spec_json.data(), static_cast<DWORD>(spec_json.size()), &n, nullptr) ||
        n != spec_json.size())
      return to_status(win_error("write " + path));
    auto c = std::make_shared<ContainerImpl>(shared_, id, bundle, m->sandbox_id);
    pending_[id] = c;
    *container = c;
    return {};
  }

  lb::Status load_container(const std::string& id, std::shared_ptr<lb::Container>* container) override {
    auto r = shared_->store.load(id);
    if (!r) return to_status(r.error());
    auto c = std::make_shared<ContainerImpl>(shared_, id, r->bundle, r->sandbox_id);
    auto t = std::make_shared<TaskImpl>(shared_, id, r->shim_pid);
    t->set_init_pid(r->init_pid);
    const std::string s = status_now(*r);
    if (s != "created" && s != "creating") t->watch();  // running, paused, or stopped: its exit is (or will be) known
    c->adopt(t);
    *container = c;
    return {};
  }

  lb::Status containers(std::vector<std::string>* ids) override {
    auto list = shared_->store.list();
    if (!list) return to_status(list.error());
    std::lock_guard lock(mu_);
    *ids = *list;
    for (const auto& [id, c] : pending_)
      if (!c.expired() && std::find(ids->begin(), ids->end(), id) == ids->end()) ids->push_back(id);
    std::sort(ids->begin(), ids->end());
    return {};
  }

 private:
  std::shared_ptr<Shared> shared_;
  std::mutex mu_;
  std::map<std::string, std::weak_ptr<ContainerImpl>> pending_;
};

}  // namespace

}  // namespace berth::win

namespace libberth {

Status Client::open(const ClientOptions& options, std::unique_ptr<Client>* client) {
  auto exe = berth::win::find_berth(options.berth_binary);
  if (!exe) return berth::win::to_status(exe.error());
  // The Linux default means "the platform's": %ProgramData%\berth here.
  std::string root = options.root == "/run/berth" || options.root.empty() ? berth::win::default_root() : options.root;
  auto shared = std::make_shared<berth::win::Shared>(berth::win::Store(root), *exe);
  shared->events = std::make_shared<berth::win::Events>();
  *client = std::make_unique<berth::win::ClientImpl>(shared);
  return {};
}

}  // namespace libberth
