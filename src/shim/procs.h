// The shim's processes and how each ended. Every process the shim knows (the
// init, each exec'd process once its pid is known, each `berth` it runs for a
// request) is waited for through its own pidfd: a status is never matched to
// a pid, which another process may have had, and the pidfd is in the poll set
// so the exit wakes the loop by itself. waitpid is left to the orphans the
// shim inherits as the container's subreaper (base/proc.h: reap_child).
//
// The exit of each process is recorded in the state directory (exit.json,
// exit.<key>.json) under the container's lock, and sent to its waiters.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/fd.h"
#include "shim/protocol.h"
#include "shim/pump.h"

namespace berth::shim {

// A `berth exec --detach` (an exec being started) or `berth start` (the
// init's) the shim runs for a request; the reply goes out when it exits.
struct Runner {
  pid_t pid = 0;
  Fd pidfd;
  Fd log;              // the read end of its --log pipe: the error, if it fails
  int requester = -1;  // the client the reply goes to
  explicit operator bool() const { return pid > 0; }
};

struct Proc {
  pid_t pid = 0;  // 0 while the `berth exec` starting it runs
  Fd pidfd;       // held from when the pid is known until the exit is collected
  bool exited = false;
  int status = 0;  // a wait status (sys/wait.h)
  std::string exited_at;
  Pump in, out, err;
  Fd pty;
  std::vector<int> waiters;  // clients waiting for the exit
  Runner runner;             // while an exec, or the init's start, is running
  // An exec being started:
  Fd process_json, console_listen;
  std::string console_name;  // short: sun_path holds 108 bytes, an exec id up to 128
};

// The pidfd of pid (close-on-exec), or an invalid Fd when it is gone.
Fd open_pidfd(pid_t pid);

// The exit status of the runner, once it has exited (it is reaped then).
std::optional<int> collect_runner(Runner& r);

// Sends a reply to a client without waiting: a client that does not read
// its replies loses them, the shim does not stall. client -1: nobody.
void reply(int client, const std::string& msg);

// "exit <pid> <exitCode> <signal> <exitedAt>", the reply to a wait.
std::string exit_reply(const Proc& p);

class Procs {
 public:
  using Map = std::map<std::string, Proc, std::less<>>;

  // dir: the container's state directory, where the records go.
  explicit Procs(int dir) : dir_(dir) {}

  Map& map() { return map_; }
  const Map& map() const { return map_; }
  Proc& init() { return map_.at(kInitKey); }
  const Proc& init() const { return map_.at(kInitKey); }
  Proc* find(std::string_view key);
  // The process whose exit is still to be collected, or whose runner is
  // running, that has this pid: key and process; nullptr when none.
  std::pair<const std::string*, Proc*> by_pid(pid_t pid);
  std::pair<const std::string*, Proc*> by_runner(pid_t pid);
  // Some exec's runner is running: its process may already be our child,
  // reparented when the runner's own child exited, with a pid we do not
  // know yet.
  bool exec_starting() const;

  // The init's pid, as the shim was given it: its pidfd is taken now. One
  // that is not our child is watched all the same, and is "orphaned" once
  // it has gone: nobody can tell us how it ended.
  void set_init(pid_t pid);
  bool orphaned() const { return orphaned_; }

  // Collects p's exit if it has one (its pidfd polled readable, or the
  // pid is a zombie): records it and tells its waiters. True if it did.
  bool collect(Proc& p);
  // Records p's exit: status as waitpid gives it.
  void exited(Proc& p, int status);
  // Forgets an exec that has exited, with its record.
  void erase(std::string_view key);

  // Writes the records not written yet, under the container's lock, which
  // is taken without blocking: a delete holding it may be waiting for us to
  // reap. Whatever is not written now is tried again later.
  void flush_records();
  bool records_pending() const { return !pending_.empty(); }

 private:
  int dir_;
  Map map_;
  std::vector<std::pair<std::string, std::string>> pending_;  // exit records to write: file, JSON
  bool orphaned_ = false;
};

}  // namespace berth::shim
