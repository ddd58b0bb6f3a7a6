#include "client/core.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>

#include "base/file.h"
#include "client/shim_call.h"
#include "shim/shim.h"

namespace berth::client {

libberth::Status to_status(const Error& e) {
  using libberth::Code;
  Code c = Code::kInternal;
  switch (e.kind) {
    case ErrorKind::kInvalidArgument: c = Code::kInvalidArgument; break;
    case ErrorKind::kNotFound: c = Code::kNotFound; break;
    case ErrorKind::kAlreadyExists: c = Code::kAlreadyExists; break;
    case ErrorKind::kConflict: c = Code::kConflict; break;
    case ErrorKind::kNotImplemented: c = Code::kNotImplemented; break;
    case ErrorKind::kInternal: c = Code::kInternal; break;
  }
  return libberth::Status(c, e.message);
}

Shared::Shared(std::string root, std::string berth_binary, unsigned threads)
    : store(std::move(root)),
      berth(std::move(berth_binary)),
      dispatcher_(std::make_unique<Dispatcher>(threads)),
      watcher_(std::make_shared<Watcher>()) {}

void Shared::shutdown() {
  closed_ = true;
  std::shared_ptr<Watcher> w;
  std::unique_ptr<Dispatcher> d;
  {
    std::lock_guard lock(mu_);
    w = std::move(watcher_);
    d = std::move(dispatcher_);
  }
  // Outside the lock: handlers running now may emit (dropped) or call back
  // into the library.
  w.reset();  // the last reference joins its thread (or a watch() in flight does, after it)
  d.reset();
}

void Shared::emit(libberth::Event e) {
  std::lock_guard lock(mu_);
  if (dispatcher_) dispatcher_->push(std::move(e));
}

void Shared::set_handler(libberth::EventHandler h) {
  std::lock_guard lock(mu_);
  if (dispatcher_) dispatcher_->set_handler(std::move(h));
}

void Shared::watch(Fd fd, Watcher::Handler h) {
  std::shared_ptr<Watcher> w;
  {
    std::lock_guard lock(mu_);
    w = watcher_;
  }
  // Outside the lock: a handler that fails to register runs now and may emit.
  if (w) w->add(std::move(fd), std::move(h));
}

libberth::Event ProcCore::event(libberth::EventType t) const {
  libberth::Event e;
  e.type = t;
  e.container_id = container_id;
  e.process_id = key;
  e.pid = pid;
  e.time = now_rfc3339_nano();
  return e;
}

void ProcCore::begin_start() {
  std::lock_guard lock(mu);
  starting = true;
}

void ProcCore::end_start(bool ok, std::initializer_list<libberth::EventType> types) {
  std::lock_guard lock(mu);
  starting = false;
  if (ok)
    for (auto type : types) shared->emit(event(type));
  if (held_exit) shared->emit(*std::exchange(held_exit, std::nullopt));
}

void ProcCore::exited(const libberth::ExitStatus& e) {
  std::lock_guard lock(mu);
  if (exit) return;
  exit = e;
  libberth::Event ev = event(libberth::EventType::kExit);
  ev.pid = e.pid;
  ev.exit = e;
  if (starting) {
    held_exit = ev;
  } else {
    shared->emit(ev);
  }
  cv.notify_all();
}

bool ProcCore::has_exited() {
  std::lock_guard lock(mu);
  return exit.has_value();
}

void ProcCore::emit_unless_exited(libberth::EventType type) {
  std::lock_guard lock(mu);
  if (!exit) shared->emit(event(type));
}

libberth::Status ProcCore::wait(libberth::ExitStatus* out) {
  std::unique_lock lock(mu);
  // The watcher's thread ends with the Client: from then on this thread
  // finds the exit itself.
  while (!exit && !shared->closed()) cv.wait_for(lock, std::chrono::milliseconds(200));
  if (!exit) {
    lock.unlock();
    wait_here();
    lock.lock();
  }
  if (out) *out = *exit;
  return {};
}

libberth::Status ProcCore::shim_request(const std::string& op, const std::string& args) {
  auto r = shim_call(dir->get(), op + " " + key + (args.empty() ? "" : " " + args));
  if (!r) {
    Error e = std::move(r).error();
    if (e.kind == ErrorKind::kNotFound && op != "kill") {
      // The shim has gone with its container; a kill says why in its own words.
      std::lock_guard lock(mu);
      if (exit) e = make_error(ErrorKind::kNotFound, "process " + key + " has exited");
    }
    return to_status(e.wrap(op + " " + container_id + "/" + key));
  }
  return {};
}

namespace {

// The exit the shim recorded; false when there is none.
bool exit_from_record(ProcCore& core) {
  auto record = shim::read_exit(core.shared->store, core.container_id, core.key);
  if (!record || !*record) return false;
  const shim::ExitRecord& r = **record;
  core.exited({r.pid, r.exit_code, r.signal, r.exited_at});
  return true;
}

// No answer from the shim: it was killed, or finished before we asked. The
// record, else the pid's end (watched, or with here, waited for on this
// thread), when nobody recorded how: 255, as containerd reports a lost exit.
void exit_without_shim(const std::shared_ptr<ProcCore>& core, bool here) {
  if (exit_from_record(*core)) return;
  const int pid = core->pid;
  auto lost = [core, pid] {
    if (!exit_from_record(*core)) core->exited({pid, 255, 0, now_rfc3339_nano()});
  };
  auto process = core->process;
  struct pollfd p = {process ? process->exit_fd() : -1, POLLIN, 0};
  if (p.fd < 0 || ::poll(&p, 1, 0) != 0) {
    core->exited({pid, 255, 0, now_rfc3339_nano()});
    return;
  }
  if (here) {
    while (::poll(&p, 1, -1) < 0 && errno == EINTR) {
    }
    lost();
    return;
  }
  Fd exit_fd(::fcntl(p.fd, F_DUPFD_CLOEXEC, 3));
  core->shared->watch(std::move(exit_fd), [lost](int) {
    lost();
    return false;
  });
}

// The shim's reply to "wait" (read from a connection that is readable);
// false when it did not give one.
bool exit_from_shim(ProcCore& core, int conn) {
  char buf[512];
  ssize_t n;
  do {
    n = ::recv(conn, buf, sizeof buf, 0);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return false;
  auto e = parse_exit(std::string_view(buf, static_cast<size_t>(n)));
  if (e) core.exited(*e);
  return e.has_value();
}

}  // namespace

Fd ProcCore::ask_exit() {
  auto conn = shim_connect(dir->get());
  std::string req = "wait " + key;
  if (!conn || ::send(conn->get(), req.data(), req.size(), MSG_NOSIGNAL) < 0) return Fd();
  return std::move(*conn);
}

bool ProcCore::exit_answered(int conn, int timeout_ms) {
  struct pollfd p = {conn, POLLIN, 0};
  int n;
  while ((n = ::poll(&p, 1, timeout_ms)) < 0 && errno == EINTR) {
  }
  return n > 0 && exit_from_shim(*this, conn);
}

void ProcCore::wait_here() {
  Fd conn = ask_exit();
  if (conn && exit_answered(conn.get(), -1)) return;
  exit_without_shim(shared_from_this(), true);
}

Fd ProcCore::ask_exit_before_remove() { return shared->closed() && !has_exited() ? ask_exit() : Fd(); }

void ProcCore::exit_after_remove(Fd asked, bool removed) {
  // The process has exited or been killed by now: the shim answers at once.
  if (asked && removed) exit_answered(asked.get(), 5000);
}

void watch_exit(const std::shared_ptr<ProcCore>& core) {
  auto conn = shim_connect(core->dir->get());
  std::string req = "wait " + core->key;
  if (!conn || ::send(conn->get(), req.data(), req.size(), MSG_NOSIGNAL) < 0) {
    exit_without_shim(core, false);
    return;
  }
  // The handler holds the core: the exit is delivered even when the caller
  // has dropped every handle of the process.
  core->shared->watch(std::move(*conn), [core](int fd) {
    char buf[512];
    ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return true;
    if (n > 0) {
      if (auto e = parse_exit(std::string_view(buf, static_cast<size_t>(n)))) {
        core->exited(*e);
        return false;
      }
    }
    exit_without_shim(core, false);
    return false;
  });
}

void watch_oom(const std::shared_ptr<Shared>& shared, const std::string& id, platform::Container& container) {
  auto watch = container.oom_events();
  if (!watch || !*watch) return;  // the platform cannot tell: no events, as before
  std::shared_ptr<platform::OomWatch> w = std::move(*watch);
  Fd fd(::fcntl(w->fd(), F_DUPFD_CLOEXEC, 3));
  shared->watch(std::move(fd), [shared, id, w](int) {
    auto seen = w->check();
    if (seen.oom) {
      libberth::Event e;
      e.type = libberth::EventType::kOom;
      e.container_id = id;
      e.process_id = "init";
      e.time = now_rfc3339_nano();
      shared->emit(std::move(e));
    }
    return !seen.gone;
  });
}

}  // namespace berth::client
