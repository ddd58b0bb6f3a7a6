// What the library's objects share: the client's state root and threads
// (Shared), and one process's exit bookkeeping (ProcCore).
#pragma once

#include <atomic>
#include <condition_variable>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "base/fd.h"
#include "base/result.h"
#include "berth/berth.h"
#include "client/dispatcher.h"
#include "client/watcher.h"
#include "platform/platform.h"
#include "state/store.h"

namespace berth::client {

libberth::Status to_status(const Error& e);
inline libberth::Status to_status(const Status& s) { return s ? libberth::Status() : to_status(s.error()); }

// Lives as long as any object of the client; the threads stop with the Client.
struct Shared {
  Shared(std::string root, std::string berth, unsigned threads);
  // Stops the watcher, then delivers what is queued and stops the
  // dispatcher. Events emitted afterwards are dropped.
  void shutdown();
  void emit(libberth::Event e);
  void set_handler(libberth::EventHandler h);
  void watch(Fd fd, Watcher::Handler h);
  bool closed() const { return closed_; }

  const state::Store store;
  const std::string berth;  // the binary run for create

 private:
  std::mutex mu_;
  std::atomic<bool> closed_{false};
  std::unique_ptr<Dispatcher> dispatcher_;
  std::shared_ptr<Watcher> watcher_;  // shared: a watch() in flight keeps it until it returns
};

// One process of a container (the init, key "init", or an exec'd one): its
// pid, its exit once known, and the ordering of its events. Events of a
// process are emitted under mu, so a start and the exit racing it reach the
// container's queue in that order (an exit seen while a start is in flight
// is held back until the start is emitted).
struct ProcCore : std::enable_shared_from_this<ProcCore> {
  std::shared_ptr<Shared> shared;
  std::shared_ptr<Fd> dir;  // the container's state directory (control socket)
  std::string container_id, key;
  std::atomic<int> pid{0};
  // The platform's handle of the process, taken while it was known to be
  // alive: the fallback when the shim is gone (no reuse race).
  std::shared_ptr<platform::Process> process;

  std::mutex mu;
  std::condition_variable cv;
  std::optional<libberth::ExitStatus> exit;
  bool starting = false;
  std::optional<libberth::Event> held_exit;

  libberth::Event event(libberth::EventType t) const;
  // Around a start (Task::start, an exec): emits types, in order, when ok,
  // then any exit held back meanwhile.
  void begin_start();
  void end_start(bool ok, std::initializer_list<libberth::EventType> types);
  // The exit, from the shim (or the fallbacks of watch_exit).
  void exited(const libberth::ExitStatus& e);
  bool has_exited();
  // Emits type (paused, resumed) unless the process has exited meanwhile.
  void emit_unless_exited(libberth::EventType type);
  // The exit: from the watcher's thread while the Client is open, asked for
  // on the caller's thread once it is closed (wait_here).
  libberth::Status wait(libberth::ExitStatus* out);
  void wait_here();
  // "wait <key>" to the shim: the connection its answer comes on, or none
  // without a shim. exit_answered waits up to timeout_ms (-1: as long as it
  // takes) for that answer and records it; false when none came.
  Fd ask_exit();
  bool exit_answered(int conn, int timeout_ms);
  // Around a remove, when no Client is watching and the exit is not known:
  // the shim is asked before the state (the exit record) goes, and its
  // answer read after a remove that succeeded.
  Fd ask_exit_before_remove();
  void exit_after_remove(Fd asked, bool removed);
  // A request about this process to the shim ("kill", "resize", ...).
  libberth::Status shim_request(const std::string& op, const std::string& args);
};

// Asks the shim for the process's exit and hands it to core->exited when it
// comes; without a shim, reads the exit record or watches the pid.
void watch_exit(const std::shared_ptr<ProcCore>& core);

// Emits an oom event for the container whenever its memory cgroup's OOM
// killer fires (as the platform reports them).
void watch_oom(const std::shared_ptr<Shared>& shared, const std::string& container_id, platform::Container& container);

}  // namespace berth::client
