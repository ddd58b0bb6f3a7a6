#include "platform/vm/guest.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include <nlohmann/json.hpp>

#include "base/file.h"
#include "platform/vm/protocol.h"

namespace berth::vm {

namespace {

constexpr int kControlFd = 3;

}  // namespace

Result<Fd> connect_unix(const std::string& socket_path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return sys_error("socket");
  Fd s(fd);
  struct sockaddr_un sa = {};
  sa.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof sa.sun_path) return invalid("vm socket path too long: " + socket_path);
  std::memcpy(sa.sun_path, socket_path.c_str(), socket_path.size() + 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) {
    Error e = sys_error("connect to " + socket_path);
    e.kind = ErrorKind::kNotFound;
    return e;
  }
  return s;
}

namespace {

Result<Fd> connect_vm(const std::string& socket_path) {
  auto s = connect_unix(socket_path);
  if (!s) return std::move(s).error().wrap("the utility VM");
  return s;
}

std::string open_request(const std::vector<std::string>& argv, bool watch, bool tty) {
  nlohmann::json j = {{"argv", argv}, {"watch", watch}, {"tty", tty}};
  return encode_frame(0, Frame::kOpen, j.dump());
}

int json_int(const std::string& text, const char* key) {
  try {
    return nlohmann::json::parse(text).at(key).get<int>();
  } catch (const std::exception&) {
    return -1;
  }
}

}  // namespace

std::string guest_error(const std::string& stderr_text) {
  std::string msg;
  for (const auto& line : split(stderr_text, '\n')) {
    if (line.empty()) continue;
    try {
      auto j = nlohmann::json::parse(line);
      if (j.value("level", "") == "error") msg = j.value("msg", line);
    } catch (const std::exception&) {
      if (msg.empty()) msg = line;
    }
  }
  return msg.empty() ? std::string(trim(stderr_text)) : msg;
}

Result<Fd> open_in_guest(const std::string& socket, const std::vector<std::string>& argv) {
  auto s = connect_vm(socket);
  if (!s) return std::move(s).error();
  BERTH_TRY(write_all(s->get(), open_request(argv, false, false)));
  BERTH_TRY(write_all(s->get(), encode_frame(0, Frame::kStdin, "")));
  return s;
}

Result<GuestOutcome> run_in_guest(const std::string& socket, const std::vector<std::string>& argv, int timeout_ms) {
  auto s = open_in_guest(socket, argv);
  if (!s) return std::move(s).error();
  GuestOutcome o;
  std::string err;
  bool done = false;
  FrameReader reader;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return make_error(ErrorKind::kInternal, "berth " + (argv.empty() ? "" : argv[0]) +
                                                  " in the utility VM: no answer in " +
                                                  std::to_string(timeout_ms / 1000) + " s");
    struct pollfd p = {s->get(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    bool open = read_into(s->get(), reader);
    while (auto m = reader.next()) {
      if (m->type == Frame::kStdout) o.out += m->data;
      if (m->type == Frame::kStderr) err += m->data;
      if (m->type == Frame::kDone) {
        o.status = json_int(m->data, "status");
        done = true;
      }
      if (m->type == Frame::kEnd) {
        o.error = guest_error(err);
        return o;
      }
    }
    if (!open) {
      Error e = make_error(ErrorKind::kNotFound,
                           "the utility VM stopped" + std::string(done ? "" : " during the request"));
      return e;
    }
  }
}

Result<std::string> guest_output(const std::string& socket, const std::vector<std::string>& argv) {
  auto o = run_in_guest(socket, argv);
  if (!o) return std::move(o).error();
  if (o->status != 0) {
    std::string msg = o->error.empty() ? "exit status " + std::to_string(WEXITSTATUS(o->status)) : o->error;
    return make_error(ErrorKind::kInternal, "in the utility VM: " + msg);
  }
  return std::move(o->out);
}

std::string berth_binary() {
  const char* self = ::getenv("BERTH_BINARY");
  if (self && *self) return self;
  // libberth in another program: the berth installed beside the library.
  char exe[4096] = {};
  if (::readlink("/proc/self/exe", exe, sizeof exe - 1) > 0 && std::string_view(exe).ends_with("/berth"))
    return "/proc/self/exe";
  for (const char* p : {"/usr/local/bin/berth", "/usr/local/sbin/berth", "/usr/bin/berth", "/usr/sbin/berth"})
    if (::access(p, X_OK) == 0) return p;
  return "";  // never this program under berth's arguments
}

Result<Proxy> spawn_berth(const std::vector<std::string>& args, const int stdio[3], bool detached, int pass_fd) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) return sys_error("socketpair");
  std::string exe = berth_binary();
  if (exe.empty()) {
    ::close(sv[0]);
    ::close(sv[1]);
    return make_error(ErrorKind::kInternal, "no berth binary to run (set $BERTH_BINARY, or install berth)");
  }
  std::vector<std::string> full = {"berth"};
  full.insert(full.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : full) argv.push_back(a.data());
  argv.push_back(nullptr);
  int pid_pipe[2] = {-1, -1};
  if (detached && ::pipe2(pid_pipe, O_CLOEXEC) < 0) return sys_error("pipe");
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(sv[0]);
    ::close(sv[1]);
    return sys_error("fork");
  }
  if (pid == 0 && detached) {
    // The middle child tells the grandchild's pid and exits: init adopts it.
    pid_t grandchild = ::fork();
    if (grandchild != 0) {
      (void)!::write(pid_pipe[1], &grandchild, sizeof grandchild);
      _exit(grandchild < 0 ? 1 : 0);
    }
  }
  if (pid == 0) {
    // A session of its own: the terminal's signals are not its.
    ::setsid();
    int fds[5] = {::fcntl(stdio[0], F_DUPFD_CLOEXEC, 10), ::fcntl(stdio[1], F_DUPFD_CLOEXEC, 10),
                  ::fcntl(stdio[2], F_DUPFD_CLOEXEC, 10), ::fcntl(sv[1], F_DUPFD_CLOEXEC, 10),
                  pass_fd < 0 ? -1 : ::fcntl(pass_fd, F_DUPFD_CLOEXEC, 10)};
    int count = pass_fd < 0 ? 4 : 5;
    for (int i = 0; i < count; ++i) ::dup2(fds[i], i);
    ::close_range(count, ~0u, 0);
    sigset_t none;
    ::sigemptyset(&none);
    ::pthread_sigmask(SIG_SETMASK, &none, nullptr);
    ::execv(exe.c_str(), argv.data());
    _exit(127);
  }
  ::close(sv[1]);
  if (detached) {
    ::close(pid_pipe[1]);
    ::waitpid(pid, nullptr, 0);
    pid_t grandchild = -1;
    ssize_t n = ::read(pid_pipe[0], &grandchild, sizeof grandchild);
    ::close(pid_pipe[0]);
    if (n != sizeof grandchild || grandchild <= 0) {
      ::close(sv[0]);
      return make_error(ErrorKind::kInternal, "start berth " + args[0] + ": fork failed");
    }
    pid = grandchild;
  }
  return Proxy{pid, Fd(sv[0])};
}

Result<Proxy> spawn_proxy(const ProxyRequest& req) {
  std::vector<std::string> args = {"vm-proxy", req.socket, req.tty ? "1" : "0"};
  args.insert(args.end(), req.argv.begin(), req.argv.end());
  return spawn_berth(args, req.stdio);
}

Result<std::string> say_go(Proxy& p, int timeout_ms) {
  BERTH_TRY(write_all(p.control.get(), "go"));
  std::string answer;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (answer.find('\n') == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    struct pollfd pf = {p.control.get(), POLLIN, 0};
    if (left.count() <= 0 || ::poll(&pf, 1, static_cast<int>(left.count())) == 0)
      return make_error(ErrorKind::kInternal,
                        "the utility VM did not answer within " + std::to_string(timeout_ms / 1000) + " s");
    char buf[4096];
    ssize_t n = ::read(p.control.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    answer.append(buf, static_cast<size_t>(n));
  }
  return answer.substr(0, answer.find('\n'));
}

Result<pid_t> go(Proxy& p, int timeout_ms) {
  auto answer = say_go(p, timeout_ms);
  if (!answer) return std::move(answer).error();
  if (answer->starts_with("ok ")) return static_cast<pid_t>(std::atoi(answer->c_str() + 3));
  if (answer->starts_with("error ")) return make_error(ErrorKind::kInternal, answer->substr(6));
  return make_error(ErrorKind::kInternal, "the process's stand-in exited before it answered");
}

// ---- the proxy: `berth vm-proxy SOCKET TTY GUEST-ARGS...` ----

namespace {

[[noreturn]] void exit_as(int status) {
  if (WIFEXITED(status)) _exit(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    struct rlimit no_core = {0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);
    ::signal(sig, SIG_DFL);
    sigset_t s;
    ::sigemptyset(&s);
    ::sigaddset(&s, sig);
    ::pthread_sigmask(SIG_UNBLOCK, &s, nullptr);
    ::kill(::getpid(), sig);
    _exit(128 + sig);
  }
  _exit(255);
}

void send_winsize(int sock) {
  struct winsize ws = {};
  if (::ioctl(0, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0)
    (void)write_all(sock,
                    encode_frame(0, Frame::kResize, nlohmann::json{{"rows", ws.ws_row}, {"cols", ws.ws_col}}.dump()));
}

}  // namespace

int proxy_main(int argc, char** argv) {
  if (argc < 4) return 2;
  std::string socket = argv[2];
  bool tty = std::strcmp(argv[3], "1") == 0;
  std::vector<std::string> guest(argv + 4, argv + argc);
  char buf[8];
  if (::read(kControlFd, buf, sizeof buf) <= 0) return 1;  // the create went away before it recorded us
  auto answer = [](const std::string& line) {
    (void)write_all(kControlFd, line);
    ::close(kControlFd);
  };
  // Every signal but those of its own work is the guest process's.
  ::signal(SIGPIPE, SIG_IGN);
  sigset_t mask;
  ::sigfillset(&mask);
  for (int s : {SIGKILL, SIGSTOP, SIGPIPE, SIGSEGV, SIGBUS, SIGILL, SIGFPE}) ::sigdelset(&mask, s);
  ::pthread_sigmask(SIG_BLOCK, &mask, nullptr);
  Fd sfd(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
  if (tty) {
    // The host's pty is only a pipe to the guest's, which does the line
    // discipline: raw here, and our controlling terminal so that a resize
    // of it reaches us as SIGWINCH.
    (void)::ioctl(0, TIOCSCTTY, 0);
    struct termios t;
    if (::tcgetattr(0, &t) == 0) {
      ::cfmakeraw(&t);
      (void)::tcsetattr(0, TCSANOW, &t);
    }
  }
  auto s = connect_vm(socket);
  if (!s) {
    answer("error " + s.error().message);
    return 1;
  }
  int sock = s->get();
  if (!write_all(sock, open_request(guest, true, tty))) {
    answer("error the utility VM closed the connection");
    return 1;
  }
  bool done = false, in_open = true;
  std::string early;  // the guest berth's own messages, before the process is made
  int exit_status = -1;
  FrameReader reader;
  // stdin is read once per poll that finds it readable: never set
  // O_NONBLOCK on it, which would change the caller's file too.
  for (;;) {
    struct pollfd fds[3] = {{sock, POLLIN, 0}, {sfd.get(), POLLIN, 0}, {in_open && done ? 0 : -1, POLLIN, 0}};
    if (::poll(fds, 3, -1) < 0 && errno != EINTR) break;
    if (fds[1].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (::read(sfd.get(), &si, sizeof si) == sizeof si) {
        if (si.ssi_signo == SIGWINCH) {
          if (tty && done) send_winsize(sock);
        } else if (si.ssi_signo != SIGCHLD) {
          (void)write_all(sock, encode_frame(0, Frame::kSignal, std::to_string(si.ssi_signo)));
        }
      }
    }
    if (fds[2].revents) {
      char data[32768];
      ssize_t n = ::read(0, data, sizeof data);
      if (n > 0) {
        (void)write_all(sock, encode_frame(0, Frame::kStdin, std::string_view(data, static_cast<size_t>(n))));
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        in_open = false;
        if (!tty) (void)write_all(sock, encode_frame(0, Frame::kStdin, ""));
      }
    }
    if (!(fds[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    bool open = read_into(sock, reader);
    while (auto m = reader.next()) {
      switch (m->type) {
        case Frame::kStdout:
        case Frame::kStderr:
          if (!done && m->type == Frame::kStderr) {
            early += m->data;
          } else if (!m->data.empty()) {
            int fd = m->type == Frame::kStdout ? 1 : 2;
            (void)write_all(fd, m->data);
          }
          break;
        case Frame::kDone: {
          int status = json_int(m->data, "status");
          int pid = json_int(m->data, "pid");
          if (status != 0 || pid <= 0) {
            std::string msg = guest_error(early);
            answer("error " + (msg.empty() ? "exit status " + std::to_string(WEXITSTATUS(status)) : msg));
            return 1;
          }
          done = true;
          answer("ok " + std::to_string(pid));
          if (tty) send_winsize(sock);
          break;
        }
        case Frame::kExit: exit_status = json_int(m->data, "status"); break;
        case Frame::kEnd:
          if (exit_status >= 0) exit_as(exit_status);
          exit_as(SIGKILL);  // ended with no exit: as good as killed
        default: break;
      }
    }
    if (!open) {
      if (!done) answer("error the utility VM stopped");
      if (exit_status >= 0) exit_as(exit_status);
      // The VM went away under the process: it is gone, as if killed.
      exit_as(SIGKILL);
    }
  }
  return 1;
}

}  // namespace berth::vm
