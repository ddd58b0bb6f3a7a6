#include "hooks/hooks.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "base/crash.h"
#include "base/fd.h"

namespace berth::hooks {

namespace {

constexpr size_t kMaxOutput = 4096;

int64_t now_ms() {
  struct timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

[[noreturn]] void exec_hook(const oci::Hook& h, int in, int out, const std::string& cwd) {
  ::dup2(in, 0);
  ::dup2(out, 1);
  ::dup2(out, 2);
  if (!cwd.empty() && ::chdir(cwd.c_str()) < 0) {
    const int err = errno;
    std::string msg = "chdir " + cwd + ": " + errno_text(err);
    (void)!::write(1, msg.data(), msg.size());
    ::_exit(127);
  }
  // The caller may block signals (run forwards them): a hook starts clean.
  sigset_t none;
  sigemptyset(&none);
  ::pthread_sigmask(SIG_SETMASK, &none, nullptr);
  ::syscall(SYS_close_range, 3, ~0U, 0);
  std::vector<char*> argv, envp;
  if (h.args.empty()) argv.push_back(const_cast<char*>(h.path.c_str()));
  for (const auto& a : h.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : h.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  ::execve(h.path.c_str(), argv.data(), envp.data());
  const int err = errno;
  std::string msg = "exec " + h.path + ": " + errno_text(err);
  (void)!::write(1, msg.data(), msg.size());
  ::_exit(127);
}

Status run_one(const oci::Hook& h, const std::string& name, const std::string& state_json, const std::string& cwd) {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) < 0 || ::pipe2(out, O_CLOEXEC) < 0) return sys_error(name + ": pipe");
  Fd in_r(in[0]), in_w(in[1]), out_r(out[0]), out_w(out[1]);
  pid_t pid = ::fork();
  if (pid < 0) return sys_error(name + ": fork");
  if (pid == 0) exec_hook(h, in_r.get(), out_w.get(), cwd);
  in_r.reset();
  out_w.reset();
  crash_point("hook", name.substr(0, name.find('[')));
  // The state is small (well under a pipe's buffer); a hook that does not
  // read it must not block us, so write without waiting.
  ::fcntl(in_w.get(), F_SETFL, O_NONBLOCK);
  ::signal(SIGPIPE, SIG_IGN);
  (void)!::write(in_w.get(), state_json.data(), state_json.size());
  in_w.reset();

  std::string output;
  int64_t deadline = h.timeout ? now_ms() + int64_t{*h.timeout} * 1000 : -1;
  bool timed_out = false;
  for (;;) {
    int wait_ms = deadline < 0 ? -1 : static_cast<int>(std::max<int64_t>(0, deadline - now_ms()));
    struct pollfd p = {out_r.get(), POLLIN, 0};
    int r = ::poll(&p, 1, wait_ms);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) {
      timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    char buf[1024];
    ssize_t n = ::read(out_r.get(), buf, sizeof buf);
    if (n <= 0) break;  // EOF: the hook (and whatever it forked) closed its output
    if (output.size() < kMaxOutput) output.append(buf, static_cast<size_t>(n));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  while (!output.empty() && (output.back() == '\n' || output.back() == ' ')) output.pop_back();
  std::string tail = output.empty() ? "" : ": " + output;
  if (timed_out)
    return Error{ETIMEDOUT, name + ": " + h.path + ": timed out after " + std::to_string(*h.timeout) + "s" + tail};
  if (WIFSIGNALED(status))
    return Error{ECHILD, name + ": " + h.path + ": killed by signal " + std::to_string(WTERMSIG(status)) + tail};
  if (WEXITSTATUS(status) != 0)
    return Error{ECHILD, name + ": " + h.path + ": exit status " + std::to_string(WEXITSTATUS(status)) + tail};
  return {};
}

}  // namespace

Status run(const std::vector<oci::Hook>& hooks, const char* kind, const std::string& state_json,
           const std::string& cwd) {
  for (size_t i = 0; i < hooks.size(); ++i)
    BERTH_TRY(run_one(hooks[i], std::string("hooks.") + kind + "[" + std::to_string(i) + "]", state_json, cwd));
  return {};
}

void run_all(const std::vector<oci::Hook>& hooks, const char* kind, const std::string& state_json,
             std::vector<std::string>* warnings, const std::string& cwd) {
  for (size_t i = 0; i < hooks.size(); ++i) {
    auto r = run_one(hooks[i], std::string("hooks.") + kind + "[" + std::to_string(i) + "]", state_json, cwd);
    if (!r && warnings) warnings->push_back(r.error().message);
  }
}

}  // namespace berth::hooks
