#include "shim/shim.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "base/file.h"
#include "linux/spawn.h"

namespace berth::shim {

namespace {

// The start-up report on the pipe: "warn <text>" lines, then "ok" or
// "error <errno> <text>", one per line. EOF first means the shim died.
void report(int fd, const std::string& line) { (void)!::write(fd, (line + "\n").data(), line.size() + 1); }

std::string exit_json(pid_t pid, int status) {
  nlohmann::json j = {{"pid", pid},
                      {"exitCode", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)},
                      {"signal", WIFSIGNALED(status) ? WTERMSIG(status) : 0},
                      {"exitedAt", now_rfc3339_nano()}};
  return j.dump();
}

// Under the container's lock, so a concurrent delete either finishes first
// (then there is nothing to record into) or waits for the record.
void record_exit(const state::Store& store, const std::string& id, pid_t pid, int status) {
  auto dir = store.lock(id);
  if (!dir) return;
  (void)write_file_atomic(dir->fd(), kExitFile, exit_json(pid, status), 0644);
}

// Copies what the container writes to the log; false at EOF.
bool copy_output(int from, int log) {
  char buf[16384];
  ssize_t n = ::read(from, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (n <= 0) return false;
  if (log >= 0) (void)!::write(log, buf, static_cast<size_t>(n));
  return true;
}

[[noreturn]] void run(const state::Store& store, const Options& opts, int status_fd) {
  ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  // SIGCHLD through a signalfd: the loop below sleeps in poll only.
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  ::sigprocmask(SIG_BLOCK, &chld, nullptr);
  Fd sigfd(::signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK));
  Fd null(::open("/dev/null", O_RDWR | O_CLOEXEC));

  // The container's stdout and stderr: a pipe to us when logging.
  Fd output, log;
  if (!opts.output_log.empty()) {
    int p[2];
    auto l = open_file(opts.output_log, O_WRONLY | O_CREAT | O_APPEND, 0640);
    if (!l || ::pipe2(p, O_CLOEXEC) < 0) {
      report(status_fd, "error " + std::to_string(l ? errno : l.error().code) + " shim: output log " +
                            (l ? std::string(std::strerror(errno)) : l.error().message));
      ::_exit(1);
    }
    log = std::move(*l);
    output.reset(p[0]);
    // fds 0-2 are what the container's process inherits.
    ::dup2(null.get(), 0);
    ::dup2(p[1], 1);
    ::dup2(p[1], 2);
    ::close(p[1]);
  }

  auto created = runtime::create(store, opts.create, opts.start ? lnx::Park::kSync : lnx::Park::kExecFifo);
  if (!created) {
    report(status_fd, "error " + std::to_string(created.error().code) + " " + created.error().message);
    ::_exit(1);
  }
  for (const auto& w : created->warnings) report(status_fd, "warn " + w);
  created->warnings.clear();
  if (opts.start) {
    if (auto r = runtime::start_now(*created); !r) {
      (void)runtime::destroy(created->c);
      report(status_fd, "error " + std::to_string(r.error().code) + " " + r.error().message);
      ::_exit(1);
    }
    for (const auto& w : created->warnings) report(status_fd, "warn " + w);
  }
  const pid_t init = created->init.pid;
  const std::string id = opts.create.id;
  { runtime::Created done = std::move(*created); }  // unlocks; the init stays ours
  report(status_fd, "ok");
  ::close(status_fd);
  // Nothing of the caller's is held any more: it sees EOF on its pipes.
  for (int fd = 0; fd < 3; ++fd) ::dup2(null.get(), fd);

  bool init_done = false;
  while (!init_done || output) {
    pollfd p[2] = {{sigfd.get(), POLLIN, 0}, {output ? output.get() : -1, POLLIN, 0}};
    if (::poll(p, 2, -1) < 0 && errno != EINTR) break;
    if (p[1].revents & (POLLIN | POLLHUP)) {
      if (!copy_output(output.get(), log.get())) output.reset();
    }
    if (p[0].revents & POLLIN) {
      signalfd_siginfo si;
      while (::read(sigfd.get(), &si, sizeof si) == sizeof si) {
      }
      int status;
      pid_t pid;
      while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
        if (pid != init) continue;  // an orphan of the container, reparented to us
        record_exit(store, id, pid, status);
        init_done = true;
      }
      if (pid < 0 && errno == ECHILD && !init_done) break;  // the init is not ours to wait for
    }
  }
  ::_exit(0);
}

}  // namespace

Result<pid_t> launch(const state::Store& store, const Options& opts, std::vector<std::string>& warnings) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) < 0) return sys_error("shim: pipe");
  Fd report_r(p[0]), report_w(p[1]);
  int shim_pid[2];
  if (::pipe2(shim_pid, O_CLOEXEC) < 0) return sys_error("shim: pipe");
  Fd pid_r(shim_pid[0]), pid_w(shim_pid[1]);
  // Fork twice: the shim must not be our child (a daemon calling this would
  // have to reap it), and in a session of its own it outlives our terminal.
  pid_t first = ::fork();
  if (first < 0) return sys_error("shim: fork");
  if (first == 0) {
    report_r.reset();
    pid_r.reset();
    ::setsid();
    pid_t shim = ::fork();
    if (shim != 0) {
      (void)!::write(pid_w.get(), &shim, sizeof shim);
      ::_exit(shim < 0 ? 1 : 0);
    }
    pid_w.reset();
    run(store, opts, report_w.release());
  }
  report_w.reset();
  pid_w.reset();
  (void)lnx::wait_child(first);
  pid_t shim = -1;
  if (::read(pid_r.get(), &shim, sizeof shim) != sizeof shim) return Error{EPIPE, "shim: fork failed"};
  // Line by line up to "ok" or "error": a parked init holds the pipe's write
  // end (inherited through clone) until it execs, so EOF may be far off.
  std::string pending;
  char c;
  ssize_t n;
  while ((n = ::read(report_r.get(), &c, 1)) == 1 || (n < 0 && errno == EINTR)) {
    if (n < 0) continue;
    if (c != '\n') {
      pending += c;
      continue;
    }
    std::string line = std::move(pending);
    pending.clear();
    if (line.rfind("warn ", 0) == 0) warnings.push_back(line.substr(5));
    if (line == "ok") return shim;
    if (line.rfind("error ", 0) == 0) {
      std::string rest = line.substr(6);
      size_t sp = rest.find(' ');
      int code = std::atoi(rest.substr(0, sp).c_str());
      return Error{code, sp == std::string::npos ? rest : rest.substr(sp + 1)};
    }
  }
  return Error{EPIPE, "shim: exited before the container was created"};
}

Result<std::optional<ExitRecord>> read_exit(const state::Store& store, const std::string& id) {
  auto dir = store.open(id);
  if (!dir) return std::move(dir).error();
  if (!dir->has(kExitFile)) return std::optional<ExitRecord>();
  auto text = read_file(dir->path() + "/" + kExitFile);
  if (!text) return std::move(text).error();
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return invalid(dir->path() + "/" + kExitFile + ": not a JSON object");
  ExitRecord r;
  r.pid = j.value("pid", 0);
  r.exit_code = j.value("exitCode", 0);
  r.signal = j.value("signal", 0);
  r.exited_at = j.value("exitedAt", "");
  return std::optional<ExitRecord>(r);
}

}  // namespace berth::shim
