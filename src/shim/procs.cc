#include "shim/procs.h"

#include <poll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "base/file.h"
#include "base/proc.h"

namespace berth::shim {

namespace {

// P_PIDFD (linux/wait.h, Linux 5.4); glibc 2.36 does not name it.
constexpr idtype_t kPidfd = static_cast<idtype_t>(3);

int signal_of(int status) { return WIFSIGNALED(status) ? WTERMSIG(status) : 0; }

std::string exit_json(const Proc& p) {
  return "{\"pid\":" + std::to_string(p.pid) + ",\"exitCode\":" + std::to_string(exit_code_of(p.status)) +
         ",\"signal\":" + std::to_string(signal_of(p.status)) + ",\"exitedAt\":\"" + p.exited_at + "\"}";
}

// The process behind pidfd has exited (poll says so without waiting).
bool has_exited(int pidfd) {
  pollfd p{pidfd, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0;
}

// waitid on a pidfd without waiting: 1 and the status when it had exited
// (reaped now), 0 while it runs, -1 with errno (ECHILD: not our child).
int wait_pidfd(int pidfd, int& status) {
  siginfo_t info{};
  int r;
  do {
    r = ::waitid(kPidfd, static_cast<id_t>(pidfd), &info, WEXITED | WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return -1;
  if (info.si_pid == 0) return 0;
  status = wait_status_of(info);
  return 1;
}

}  // namespace

Fd open_pidfd(pid_t pid) {
  if (pid <= 0) return Fd();
  return Fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));  // always close-on-exec
}

std::optional<int> collect_runner(Runner& r) {
  int status = 0;
  if (!r.pidfd || wait_pidfd(r.pidfd.get(), status) != 1) return std::nullopt;
  r.pid = 0;
  r.pidfd.reset();
  return status;
}

void reply(int client, const std::string& msg) {
  if (client >= 0) (void)!::send(client, msg.data(), msg.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

std::string exit_reply(const Proc& p) {
  return "exit " + std::to_string(p.pid) + " " + std::to_string(exit_code_of(p.status)) + " " +
         std::to_string(signal_of(p.status)) + " " + p.exited_at;
}

Proc* Procs::find(std::string_view key) {
  auto it = map_.find(key);
  return it == map_.end() ? nullptr : &it->second;
}

std::pair<const std::string*, Proc*> Procs::by_pid(pid_t pid) {
  for (auto& [key, p] : map_)
    if (p.pid == pid && p.pidfd && !p.exited) return {&key, &p};
  return {nullptr, nullptr};
}

std::pair<const std::string*, Proc*> Procs::by_runner(pid_t pid) {
  for (auto& [key, p] : map_)
    if (p.runner.pid == pid) return {&key, &p};
  return {nullptr, nullptr};
}

bool Procs::exec_starting() const {
  for (const auto& [key, p] : map_)
    if (p.runner && p.pid == 0) return true;
  return false;
}

void Procs::set_init(pid_t pid) {
  Proc& init = map_[kInitKey];
  init.pid = pid;
  init.pidfd = open_pidfd(pid);
  // Gone already and reaped by someone else: there is nothing to wait for.
  if (!init.pidfd) orphaned_ = true;
}

bool Procs::collect(Proc& p) {
  if (p.exited || !p.pidfd) return false;
  int status = 0;
  int r = wait_pidfd(p.pidfd.get(), status);
  if (r == 1) {
    p.pidfd.reset();
    exited(p, status);
    return true;
  }
  // Not our child (ECHILD), and gone: how it ended is not ours to know.
  if (r < 0 && errno == ECHILD && has_exited(p.pidfd.get())) {
    p.pidfd.reset();
    if (&p == &init()) {
      orphaned_ = true;  // no record, as before pidfds: the init was never ours
    } else {
      exited(p, 255 << 8);  // as containerd reports an exit it lost
      return true;
    }
  }
  return false;
}

void Procs::exited(Proc& p, int status) {
  p.exited = true;
  p.status = status;
  p.exited_at = now_rfc3339_nano();
  p.out.drain();
  p.err.drain();
  p.in.close();  // nobody reads it any more
  for (const auto& [key, q] : map_)
    if (&q == &p) pending_.emplace_back(exit_file(key), exit_json(p));
  for (int w : p.waiters) reply(w, exit_reply(p));
  p.waiters.clear();
}

void Procs::erase(std::string_view key) {
  auto it = map_.find(key);
  if (it == map_.end()) return;
  map_.erase(it);
  const std::string file = exit_file(key);
  std::erase_if(pending_, [&](const auto& rec) { return rec.first == file; });
  ::unlinkat(dir_, file.c_str(), 0);
}

// Only while the directory is still linked: once deleted, there is nothing
// to record into.
void Procs::flush_records() {
  if (pending_.empty()) return;
  struct stat sb;
  if (dir_ < 0 || ::fstat(dir_, &sb) < 0 || sb.st_nlink == 0) {
    pending_.clear();
    return;
  }
  if (::flock(dir_, LOCK_EX | LOCK_NB) < 0) return;
  for (const auto& [name, json] : pending_) (void)write_file_atomic(dir_, name, json, 0644);
  ::flock(dir_, LOCK_UN);
  pending_.clear();
}

}  // namespace berth::shim
