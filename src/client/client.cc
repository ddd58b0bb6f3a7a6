// libberth's Client and Container (include/berth/berth.h).
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "base/file.h"
#include "client/core.h"
#include "client/task.h"
#include "oci/parse.h"
#include "runtime/container.h"
#include "runtime/sandbox.h"

extern char** environ;

namespace berth::client {

namespace lb = libberth;

namespace {

// Runs berth with stdio as the new process's fds 0-2 and waits for it.
// Its log (JSON lines) goes to a memfd; a failure comes back as the last
// error it logged. posix_spawn: safe in a multi-threaded caller.
Status run_berth(const std::string& berth, const std::vector<std::string>& args, const lb::Stdio& stdio) {
  Fd log(static_cast<int>(::syscall(SYS_memfd_create, "berth-log", MFD_CLOEXEC)));
  Fd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!log || !null) return sys_error("berth: memfd");
  // Fresh numbers above 2, so every dup2 below changes the fd (and so
  // clears close-on-exec) whatever numbers the caller's fds have.
  auto above = [&](int fd) { return Fd(::fcntl(fd >= 0 ? fd : null.get(), F_DUPFD_CLOEXEC, 10)); };
  Fd in = above(stdio.stdin_fd), out = above(stdio.stdout_fd), err = above(stdio.stderr_fd), lg = above(log.get());
  if (!in || !out || !err || !lg) return sys_error("berth: dup stdio");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in.get(), 0);
  posix_spawn_file_actions_adddup2(&fa, out.get(), 1);
  posix_spawn_file_actions_adddup2(&fa, err.get(), 2);
  posix_spawn_file_actions_adddup2(&fa, lg.get(), 3);
  // The daemon's own fds, close-on-exec or not, stay with the daemon.
  posix_spawn_file_actions_addclosefrom_np(&fa, 4);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<std::string> full = {berth, "--log", "/proc/self/fd/3", "--log-format", "json"};
  full.insert(full.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : full) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid;
  int rc = ::posix_spawn(&pid, berth.c_str(), &fa, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    errno = rc;
    return sys_error("run " + berth);
  }
  int status = 0;
  pid_t waited;
  while ((waited = ::waitpid(pid, &status, 0)) < 0 && errno == EINTR) {
  }
  // A caller that ignores SIGCHLD gets no status (ECHILD): then the log says
  // whether berth failed.
  const bool unknown = waited < 0;
  if (!unknown && WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  Error e{0, berth + " " + args.back() + " failed"};
  bool logged = false;
  ::lseek(log.get(), 0, SEEK_SET);
  if (auto text = read_fd(log.get())) {
    for (const auto& line : split(*text, '\n')) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_object() || j.value("level", "") != "error") continue;
      e.message = j.value("msg", e.message);
      e.kind = kind_from_name(j.value("kind", ""));
      logged = true;
    }
  }
  if (unknown && !logged) return {};
  return e;
}

bool is_executable_file(const std::string& path) {
  struct stat sb;
  return ::stat(path.c_str(), &sb) == 0 && S_ISREG(sb.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// The prefix libberth.so was installed into: the directory it was loaded
// from, less lib (lib64, lib32) or lib/<multiarch triplet>. "" when it was
// not loaded from such a directory (a build tree, a static link).
std::string installed_prefix() {
  Dl_info info{};
  if (::dladdr(reinterpret_cast<void*>(&libberth::Client::open), &info) == 0 || !info.dli_fname) return "";
  char* real = ::realpath(info.dli_fname, nullptr);
  if (!real) return "";
  std::string path = real;
  ::free(real);
  auto up = [](std::string& p) {
    auto at = p.rfind('/');
    std::string last = at == std::string::npos ? p : p.substr(at + 1);
    p.resize(at == std::string::npos ? 0 : at);
    return last;
  };
  auto is_lib = [](const std::string& name) { return name == "lib" || name == "lib64" || name == "lib32"; };
  up(path);  // the file: path is its directory now
  std::string last = up(path);
  if (is_lib(last)) return path;
  // lib/x86_64-linux-gnu
  if (last.find('-') != std::string::npos && is_lib(up(path))) return path;
  return "";
}

// ClientOptions::berth_binary when empty: $BERTH_BINARY, else the berth of
// the prefix this library was installed into, else berth on $PATH
// (include/berth/berth.h). The path and where it came from (for errors);
// with no path, where it looked.
struct FoundBerth {
  std::string path, from;
};
FoundBerth default_berth() {
  if (const char* b = ::getenv("BERTH_BINARY"); b && *b) return {b, "$BERTH_BINARY"};
  std::string looked = "$BERTH_BINARY";
  if (std::string prefix = installed_prefix(); !prefix.empty()) {
    const std::string bindir = BERTH_INSTALL_BINDIR;
    std::string beside = (bindir.starts_with("/") ? bindir : prefix + "/" + bindir) + "/berth";
    if (is_executable_file(beside)) return {beside, "the berth installed with libberth"};
    looked += ", " + beside;
  }
  const char* path = ::getenv("PATH");
  for (const auto& dir : split(path && *path ? path : "/usr/local/bin:/usr/bin:/bin", ':')) {
    if (!dir.starts_with("/")) continue;  // relative to whatever the daemon's cwd is: not taken
    std::string candidate = dir + "/berth";
    if (is_executable_file(candidate)) return {candidate, "$PATH"};
  }
  return {"", "no berth binary found (looked in " + looked + ", $PATH); set it or $BERTH_BINARY"};
}

class ContainerImpl final : public lb::Container {
 public:
  ContainerImpl(std::shared_ptr<Shared> shared, std::string id, std::string bundle, std::string sandbox)
      : shared_(std::move(shared)), id_(std::move(id)), bundle_(std::move(bundle)), sandbox_(std::move(sandbox)) {}

  const std::string& id() const override { return id_; }
  const std::string& bundle() const override { return bundle_; }
  std::string sandbox() const override { return sandbox_; }

  lb::Status new_task(const lb::Stdio& stdio, std::shared_ptr<lb::Task>* task) override {
    std::lock_guard lock(mu_);
    if (task_ && !task_->removed()) return lb::Status(lb::Code::kAlreadyExists, "container " + id_ + " has a task");
    if (shared_->store.open(id_))
      return lb::Status(lb::Code::kAlreadyExists, "container \"" + id_ + "\" already exists");
    std::vector<std::string> args = {"--root", shared_->store.root(), "create", "--shim", "--shim-stdio"};
    if (!stdio.log_path.empty()) args.insert(args.end(), {"--shim-log", stdio.log_path});
    args.insert(args.end(), {"--bundle", bundle_, id_});
    if (auto r = run_berth(shared_->berth, args, stdio); !r) return to_status(r.error());
    auto t = attach(true);
    if (!t) return to_status(t.error());
    *task = t->task;
    return {};
  }

  lb::Status task(std::shared_ptr<lb::Task>* task) override {
    std::lock_guard lock(mu_);
    if (!task_ || task_->removed()) return lb::Status(lb::Code::kNotFound, "container " + id_ + " has no task");
    *task = task_;
    return {};
  }

  lb::Status remove() override {
    std::lock_guard lock(mu_);
    if ((task_ && !task_->removed()) || shared_->store.open(id_))
      return lb::Status(lb::Code::kConflict, "container " + id_ + " has a task; delete it first");
    removed_ = true;
    return {};
  }

  bool removed() const { return removed_; }

  // The task in the state root: its state directory, its shim, its events.
  struct Attached {
    std::shared_ptr<TaskImpl> task;
    std::shared_ptr<ProcCore> core;
  };
  // With emit_create, the create event goes first: before any exit.
  Result<Attached> attach(bool emit_create) {
    auto c = runtime::load(shared_->store, id_, false);
    if (!c) return std::move(c).error();
    auto core = std::make_shared<ProcCore>();
    core->shared = shared_;
    core->dir = std::make_shared<Fd>(::fcntl(c->dir.fd(), F_DUPFD_CLOEXEC, 3));
    core->container_id = id_;
    core->key = "init";
    core->pid = c->pid();
    if (auto p = c->container->open_process()) core->process = std::move(*p);
    // Only a loaded container learns these here, before anyone sees it.
    if (sandbox_.empty()) sandbox_ = c->st.sandbox;
    if (bundle_.empty()) bundle_ = c->st.bundle;
    if (emit_create) shared_->emit(core->event(lb::EventType::kCreate));
    watch_exit(core);
    if (c->status != state::Status::kStopped) watch_oom(shared_, id_, *c->container);
    Attached a{std::make_shared<TaskImpl>(core), core};
    task_ = a.task;
    return a;
  }

 private:
  std::shared_ptr<Shared> shared_;
  std::string id_, bundle_, sandbox_;
  std::mutex mu_;
  std::shared_ptr<TaskImpl> task_;
  bool removed_ = false;
};

class ClientImpl final : public lb::Client {
 public:
  explicit ClientImpl(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}
  ~ClientImpl() override { shared_->shutdown(); }

  void set_event_handler(lb::EventHandler handler) override { shared_->set_handler(std::move(handler)); }

  lb::Status create_container(const std::string& id, const std::string& spec_json, const lb::ContainerOptions& options,
                              std::shared_ptr<lb::Container>* container) override {
    if (auto r = state::validate_id(id); !r) return to_status(r.error());
    if (options.bundle.empty()) return lb::Status(lb::Code::kInvalidArgument, "options.bundle: must be set");
    auto spec = oci::parse_spec(spec_json);
    if (!spec) return to_status(std::move(spec).error().wrap("spec"));
    auto membership = runtime::sandbox::parse(spec->annotations, id);
    if (!membership) return to_status(std::move(membership).error().wrap("spec"));
    std::lock_guard lock(mu_);
    forget_removed();
    if (containers_.count(id) || shared_->store.open(id))
      return lb::Status(lb::Code::kAlreadyExists, "container \"" + id + "\" already exists");
    struct stat sb;
    if (::stat(options.bundle.c_str(), &sb) < 0 || !S_ISDIR(sb.st_mode))
      return lb::Status(lb::Code::kInvalidArgument, "options.bundle: " + options.bundle + " is not a directory");
    auto dir = open_file(options.bundle, O_RDONLY | O_DIRECTORY);
    if (!dir) return to_status(dir.error());
    if (auto r = write_file_atomic(dir->get(), "config.json", spec_json, 0600); !r) return to_status(r.error());
    auto c = std::make_shared<ContainerImpl>(shared_, id, options.bundle, membership->sandbox_id);
    containers_[id] = c;
    *container = c;
    return {};
  }

  lb::Status load_container(const std::string& id, std::shared_ptr<lb::Container>* container) override {
    std::lock_guard lock(mu_);
    forget_removed();
    if (auto it = containers_.find(id); it != containers_.end()) {
      *container = it->second;
      return {};
    }
    if (auto r = state::validate_id(id); !r) return to_status(r.error());
    auto c = std::make_shared<ContainerImpl>(shared_, id, "", "");
    auto a = c->attach(false);
    if (!a) return to_status(a.error());
    containers_[id] = c;
    *container = c;
    return {};
  }

  lb::Status containers(std::vector<std::string>* ids) override {
    auto listed = shared_->store.list();
    if (!listed) return to_status(listed.error());
    std::lock_guard lock(mu_);
    forget_removed();
    *ids = *listed;
    for (const auto& [id, c] : containers_)
      if (!std::binary_search(listed->begin(), listed->end(), id)) ids->push_back(id);
    std::sort(ids->begin(), ids->end());
    return {};
  }

 private:
  void forget_removed() {
    std::erase_if(containers_, [](const auto& kv) { return kv.second->removed(); });
  }

  std::shared_ptr<Shared> shared_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<ContainerImpl>> containers_;
};

}  // namespace

}  // namespace berth::client

namespace libberth {

Status Client::open(const ClientOptions& options, std::unique_ptr<Client>* client) {
  if (options.root.empty()) return Status(Code::kInvalidArgument, "options.root: must not be empty");
  berth::client::FoundBerth found{options.berth_binary, "options.berth_binary"};
  if (found.path.empty()) found = berth::client::default_berth();
  const std::string& berth = found.path;
  if (berth.empty()) return Status(Code::kInvalidArgument, "options.berth_binary: " + found.from);
  if (::access(berth.c_str(), X_OK) < 0)
    return Status(Code::kInvalidArgument, found.from + ": " + berth + ": " + berth::errno_text(errno));
  if (auto r = berth::mkdir_all(options.root, 0700); !r) return berth::client::to_status(r.error());
  auto shared = std::make_shared<berth::client::Shared>(options.root, berth, options.event_threads);
  *client = std::make_unique<berth::client::ClientImpl>(std::move(shared));
  return {};
}

}  // namespace libberth
