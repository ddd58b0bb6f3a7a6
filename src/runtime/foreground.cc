#include "runtime/foreground.h"

#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "base/fd.h"
#include "base/proc.h"

namespace berth::runtime {

namespace {

// Restores the caller's terminal settings when the proxy ends.
class RawMode {
 public:
  RawMode() {
    if (::tcgetattr(0, &saved_) < 0) return;
    struct termios raw = saved_;
    ::cfmakeraw(&raw);
    active_ = ::tcsetattr(0, TCSANOW, &raw) == 0;
  }
  ~RawMode() {
    if (active_) ::tcsetattr(0, TCSANOW, &saved_);
  }

 private:
  struct termios saved_ = {};
  bool active_ = false;
};

void copy_size(int master) {
  struct winsize ws;
  // A terminal without a size (0x0, e.g. under script(1)) keeps consoleSize.
  if (::ioctl(0, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0) ::ioctl(master, TIOCSWINSZ, &ws);
}

// Copies what is readable on from to to; false on EOF or error.
bool pump(int from, int to) {
  char buf[8192];
  ssize_t n = ::read(from, buf, sizeof buf);
  if (n <= 0) return n < 0 && errno == EINTR;
  for (ssize_t off = 0; off < n;) {
    ssize_t w = ::write(to, buf + off, static_cast<size_t>(n - off));
    if (w < 0) {
      if (errno == EINTR) continue;
      return true;  // nobody reads our stdout: keep draining the pty anyway
    }
    off += w;
  }
  return true;
}

// Reaps every exited child but p (orphans reparented to berth), which is
// left for p.exit_status(): each zombie is looked at before it is reaped.
void reap_others(const platform::Process& p) {
  for (pid_t pid; (pid = peek_exited_child()) > 0 && pid != p.pid();) reap_child(pid);
}

int collect(platform::Process& p) {
  auto st = p.exit_status();
  return st ? *st : 255 << 8;  // not ours to wait for: exit code 255, as containerd reports a lost exit
}

}  // namespace

void block_signals() {
  sigset_t all;
  sigfillset(&all);
  ::pthread_sigmask(SIG_BLOCK, &all, nullptr);
}

int wait_forwarding_signals(platform::Process& p) { return proxy_pty(-1, p); }

int proxy_pty(int master, platform::Process& p) {
  const bool tty = master >= 0 && ::isatty(0);
  RawMode raw_guard;
  if (tty) copy_size(master);
  sigset_t all;
  sigfillset(&all);
  Fd sigfd(::signalfd(-1, &all, SFD_CLOEXEC));
  bool stdin_open = master >= 0;
  bool master_open = master >= 0;
  int status = -1;
  while (status == -1 || master_open) {
    struct pollfd fds[4] = {{sigfd.get(), POLLIN, 0},
                            {status == -1 ? p.exit_fd() : -1, POLLIN, 0},
                            {master_open ? master : -1, POLLIN, 0},
                            {stdin_open ? 0 : -1, POLLIN, 0}};
    // Once the process is gone, drain what the pty still holds, then stop.
    int r = ::poll(fds, 4, status == -1 ? -1 : 100);
    if (r < 0 && errno != EINTR) break;
    if (r == 0) break;
    if (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) master_open = pump(master, 1);
    if (fds[3].revents & (POLLIN | POLLHUP | POLLERR)) stdin_open = pump(0, master);
    if (fds[1].revents) status = collect(p);
    if (fds[0].revents & POLLIN) {
      struct signalfd_siginfo si;
      if (::read(sigfd.get(), &si, sizeof si) != sizeof si) continue;
      int sig = static_cast<int>(si.ssi_signo);
      if (sig == SIGCHLD) {
        reap_others(p);
      } else if (sig == SIGWINCH) {
        if (tty) copy_size(master);
      } else if (status == -1) {
        (void)p.signal(sig);
      }
    }
  }
  if (status == -1) status = collect(p);
  return status;
}

}  // namespace berth::runtime
