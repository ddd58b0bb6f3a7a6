// The shim's waiting half: a single-threaded poll loop that waits for the
// container's processes (each through its pidfd, shim/procs.h), reaps the
// orphans it inherits, pumps their stdio, records how they ended and answers
// the control socket (shim/protocol.h).
#include "shim/monitor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <utility>

#include "base/file.h"
#include "base/proc.h"
#include "base/scm_rights.h"
#include "shim/procs.h"
#include "shim/protocol.h"

extern char** environ;

namespace berth::shim {

namespace {

void set_nonblock(int fd) {
  if (fd >= 0) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// The value of a key=value argument.
std::map<std::string, std::string> parse_args(int argc, char** argv) {
  std::map<std::string, std::string> out;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    auto eq = a.find('=');
    if (eq != std::string::npos) out[a.substr(0, eq)] = a.substr(eq + 1);
  }
  return out;
}

Fd take_fd(const std::map<std::string, std::string>& args, const std::string& key) {
  auto it = args.find(key);
  if (it == args.end()) return Fd();
  int fd = std::atoi(it->second.c_str());
  if (fd < 0) return Fd();
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);  // passed through execve; no further
  return Fd(fd);
}

class Monitor {
 public:
  explicit Monitor(std::map<std::string, std::string> args) : dir_(take_fd(args, "dir")), procs_(dir_.get()) {
    close_other_fds(args);  // first: the fds opened here are ours to keep
    root_ = args["root"];
    id_ = args["id"];
    exe_ = take_fd(args, "exe");
    listen_ = take_fd(args, "sock");
    log_ = take_fd(args, "log");
    procs_.set_init(static_cast<pid_t>(std::atoi(args["init"].c_str())));
    Proc& init = procs_.init();
    init.in.from = take_fd(args, "in-from");
    init.in.to = take_fd(args, "in-to");
    init.out.from = take_fd(args, "out-from");
    init.out.to = take_fd(args, "out-to");
    init.err.from = take_fd(args, "err-from");
    init.err.to = take_fd(args, "err-to");
    init.pty = take_fd(args, "pty");
    init.out.log = init.err.log = log_.get();
    set_nonblock(init.out.from.get());
    set_nonblock(init.err.from.get());
    set_nonblock(listen_.get());
  }

  // Whatever else came through execve (a caller's fd without close-on-exec)
  // is not ours to keep open for the container's lifetime.
  static void close_other_fds(const std::map<std::string, std::string>& args) {
    std::vector<unsigned> keep = {0, 1, 2};
    for (const auto& [key, value] : args)
      if (key != "root" && key != "id" && key != "init")
        keep.push_back(static_cast<unsigned>(std::atoi(value.c_str())));
    std::sort(keep.begin(), keep.end());
    for (size_t i = 0; i < keep.size(); ++i) {
      unsigned from = keep[i] + 1, to = i + 1 < keep.size() ? keep[i + 1] - 1 : ~0u;
      if (from <= to) ::syscall(SYS_close_range, from, to, 0);
    }
  }

  int run() {
    ::signal(SIGPIPE, SIG_IGN);
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    ::pthread_sigmask(SIG_BLOCK, &chld, nullptr);
    sigfd_.reset(::signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK));
    procs_.collect(procs_.init());  // it may have exited already, or not be ours
    for (;;) {
      reap_orphans();  // some may have exited before the signalfd existed
      procs_.flush_records();
      if (done()) break;
      poll_once(procs_.records_pending() ? 20 : -1);
    }
    // Requests already sent (a "wait" on a connection not yet accepted)
    // are answered before we go: a caller never sees EOF for an exit we know.
    for (int i = 0; i < 64 && poll_once(0) > 0; ++i) {
    }
    // Output still buffered for a slow reader: five seconds more, no longer.
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (writes_pending() && std::chrono::steady_clock::now() < until) poll_once(100);
    // The last records: a delete holding the lock finishes soon.
    for (int i = 0; i < 250 && procs_.records_pending(); ++i) {
      ::usleep(20000);
      procs_.flush_records();
    }
    return 0;
  }

 private:
  bool writes_pending() const {
    for (const auto& [key, p] : procs_.map())
      if (p.out.wants_write() || p.err.wants_write()) return true;
    return false;
  }

  // The init has exited (or gone, not ours to wait for), every exec'd
  // process has too, and no `berth` we run for a request is still running.
  bool done() const {
    for (const auto& [key, p] : procs_.map()) {
      if (p.runner) return false;
      if (!p.exited && p.pid && !(key == kInitKey && procs_.orphaned())) return false;
    }
    return procs_.init().exited || procs_.orphaned();
  }

  // What a ready fd is for; looked up again when handled, since an earlier
  // handler of the same round may have closed it or forgotten its process.
  enum class Source { kSignal, kListen, kClient, kExit, kRunner, kStdin, kStdout, kStderr, kConsole };
  struct Watch {
    Source source;
    int fd;
    std::string key;
    bool write = false;  // a pump's destination polled for POLLOUT
  };

  // Returns how many fds were ready.
  int poll_once(int timeout_ms) {
    std::vector<pollfd> fds;
    std::vector<Watch> watches;
    auto add = [&](int fd, Source s, const std::string& key = "", bool write = false) {
      fds.push_back({fd, static_cast<short>(write ? POLLOUT : POLLIN), 0});
      watches.push_back({s, fd, key, write});
    };
    add(sigfd_.get(), Source::kSignal);
    if (listen_) add(listen_.get(), Source::kListen);
    for (auto& c : clients_) add(c.get(), Source::kClient);
    for (auto& [key, p] : procs_.map()) {
      if (p.pidfd) add(p.pidfd.get(), Source::kExit, key);
      if (p.runner.pidfd) add(p.runner.pidfd.get(), Source::kRunner, key);
      const std::pair<Pump*, Source> pumps[] = {{&p.in, Source::kStdin},
                                                {&p.out, Source::kStdout},
                                                {&p.err, Source::kStderr}};
      for (auto [pump, source] : pumps) {
        // stdin waits for its destination (a terminal's arrives later).
        if (pump->wants_read() && (source != Source::kStdin || pump->to)) add(pump->from.get(), source, key);
        if (pump->wants_write()) add(pump->to.get(), source, key, true);
      }
      if (p.console_listen) add(p.console_listen.get(), Source::kConsole, key);
    }
    int ready = ::poll(fds.data(), fds.size(), timeout_ms);
    if (ready <= 0) return 0;
    for (size_t i = 0; i < fds.size(); ++i)
      if (fds[i].revents) handle_ready(watches[i]);
    return ready;
  }

  void handle_ready(const Watch& w) {
    switch (w.source) {
      case Source::kSignal: {
        // Only a wake-up: the orphans are reaped at the top of the loop.
        signalfd_siginfo si;
        while (::read(sigfd_.get(), &si, sizeof si) == sizeof si) {
        }
        return;
      }
      case Source::kListen: return accept_client();
      case Source::kClient: return serve(w.fd);
      default: break;
    }
    Proc* p = procs_.find(w.key);
    if (!p) return;
    Pump* pump = w.source == Source::kStdin ? &p->in : w.source == Source::kStdout ? &p->out : &p->err;
    if (w.source == Source::kExit) {
      if (p->pidfd.get() == w.fd) procs_.collect(*p);
    } else if (w.source == Source::kRunner) {
      if (p->runner.pidfd.get() == w.fd) runner_exited(w.key);
    } else if (w.source == Source::kConsole) {
      take_console(*p);
    } else if (w.write && pump->to.get() == w.fd) {
      pump->on_writable();
    } else if (!w.write && pump->from.get() == w.fd) {
      pump->on_readable();
    }
  }

  // The shim is the container's subreaper: whatever its processes leave
  // behind becomes ours when its parent exits. Each zombie is looked at
  // before it is reaped: one of ours is collected through its pidfd (and
  // its status kept); anything else is reaped, but not while an exec is
  // starting, since its process may be that zombie with a pid we do not know
  // yet (reaped, the pid could be reused before we read it). Those wait
  // until the runner is done.
  void reap_orphans() {
    for (pid_t pid; (pid = peek_exited_child()) > 0;) {
      if (Proc* p = procs_.by_pid(pid).second) {
        if (!procs_.collect(*p)) return;
      } else if (const std::string* key = procs_.by_runner(pid).first) {
        if (!runner_exited(*key)) return;
      } else if (procs_.exec_starting()) {
        return;
      } else {
        reap_child(pid);
      }
    }
  }

  void accept_client() {
    int fd = ::accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) clients_.emplace_back(fd);
  }

  void drop_client(int fd) {
    for (auto& [key, p] : procs_.map()) {
      std::erase(p.waiters, fd);
      if (p.runner.requester == fd) p.runner.requester = -1;
    }
    std::erase_if(clients_, [fd](const Fd& c) { return c.get() == fd; });
  }

  void serve(int fd) {
    if (std::none_of(clients_.begin(), clients_.end(), [fd](const Fd& c) { return c.get() == fd; })) return;
    // Not zeroed: an idle shim should not touch a megabyte per request.
    auto buf = std::make_unique_for_overwrite<char[]>(kMaxMessage);
    std::vector<Fd> fds;
    auto n = recv_with_fds(fd, buf.get(), kMaxMessage, fds);
    if (!n || *n == 0) {
      drop_client(fd);
      return;
    }
    if (auto r = handle(fd, std::string(buf.get(), *n), fds); !r) reply(fd, encode_error(r.error()));
  }

  Status handle(int client, const std::string& msg, std::vector<Fd>& fds) {
    auto w = words(msg, 4);
    const std::string_view op = w[0];
    if (w.size() < 2) return invalid("shim: malformed request \"" + msg.substr(0, 64) + "\"");
    if (op == "exec") {
      auto x = words(msg, 4);
      if (x.size() < 4) return invalid("shim: exec: want exec <key> <flags> <process>");
      return start_exec(client, x[1], x[2], x[3], fds);
    }
    if (op == "start") {
      if (w[1] != kInitKey) return invalid("shim: start: only the init starts (start init)");
      return start_init(client);
    }
    Proc* p = procs_.find(w[1]);
    if (!p) return make_error(ErrorKind::kNotFound, "no process \"" + std::string(w[1]) + "\"");
    Proc& pr = *p;
    if (op == "wait") {
      if (pr.exited) {
        reply(client, exit_reply(pr));
      } else {
        pr.waiters.push_back(client);
      }
      return {};
    }
    if (op == "kill") {
      if (w.size() < 3) return invalid("shim: kill: want kill <key> <signal>");
      // Through the pidfd: never another process that got the pid.
      if (pr.exited || !pr.pidfd) return make_error(ErrorKind::kNotFound, "process already finished");
      if (::syscall(SYS_pidfd_send_signal, pr.pidfd.get(), std::atoi(std::string(w[2]).c_str()), nullptr, 0) < 0) {
        Error e = sys_error("kill");
        if (e.code == ESRCH) e.kind = ErrorKind::kNotFound;
        return e;
      }
      reply(client, "ok");
      return {};
    }
    if (op == "resize") {
      auto r = words(msg, 4);
      if (r.size() < 4) return invalid("shim: resize: want resize <key> <width> <height>");
      if (!pr.pty) return make_error(ErrorKind::kConflict, "process has no terminal");
      winsize ws{};
      ws.ws_col = static_cast<unsigned short>(std::atoi(std::string(r[2]).c_str()));
      ws.ws_row = static_cast<unsigned short>(std::atoi(std::string(r[3]).c_str()));
      if (::ioctl(pr.pty.get(), TIOCSWINSZ, &ws) < 0) return sys_error("resize");
      reply(client, "ok");
      return {};
    }
    if (op == "close-stdin") {
      pr.in.finish();  // what the caller wrote before asking still goes in
      reply(client, "ok");
      return {};
    }
    if (op == "delete") {
      if (w[1] == kInitKey) return make_error(ErrorKind::kConflict, "the init is deleted with the container");
      if (!pr.exited && (pr.pid || pr.runner)) return make_error(ErrorKind::kConflict, "process is running");
      procs_.erase(w[1]);
      reply(client, "ok");
      return {};
    }
    return make_error(ErrorKind::kNotImplemented, "shim: unknown request \"" + std::string(op) + "\"");
  }

  // Runs `berth --root <root> --log <pipe> --log-format json <args...>` with
  // stdio in, out, err: a request the shim carries out with the whole
  // engine, which berth-shim does not hold. Its exit wakes runner_exited;
  // its log's last error is the reply then.
  Result<Runner> spawn_runner(const std::vector<std::string>& command, int in, int out, int err) {
    std::vector<std::string> args = {"berth", "--root", root_, "--log", "/proc/self/fd/3", "--log-format", "json"};
    args.insert(args.end(), command.begin(), command.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    Runner r;
    int log[2];
    if (::pipe2(log, O_CLOEXEC) < 0) return sys_error("pipe");
    r.log.reset(log[0]);
    Fd log_w(log[1]);
    r.pid = ::fork();
    if (r.pid < 0) return sys_error("fork");
    if (r.pid == 0) {
      // dup2 clears close-on-exec; fd 3 is the log pipe.
      if (::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0 || ::dup2(log_w.get(), 3) < 0) ::_exit(127);
      ::sigset_t none;
      sigemptyset(&none);
      ::pthread_sigmask(SIG_SETMASK, &none, nullptr);
      ::signal(SIGPIPE, SIG_DFL);
      ::syscall(SYS_execveat, exe_.get(), "", argv.data(), environ, AT_EMPTY_PATH);
      ::_exit(127);
    }
    // Our child, not reaped before we have its pidfd: it is this process.
    r.pidfd = open_pidfd(r.pid);
    if (!r.pidfd) {
      Error e = sys_error("pidfd_open");
      ::kill(r.pid, SIGKILL);  // unreaped, so still ours; an orphan to reap now
      return e;
    }
    return r;
  }

  // `start init`: runs `berth start`, so that the shim is the parent of what
  // the start makes (a platform whose init is created at start). The reply
  // goes out when it has finished (runner_exited).
  Status start_init(int client) {
    Proc& init = procs_.init();
    if (init.runner) return make_error(ErrorKind::kConflict, "container " + id_ + " is being started");
    if (init.exited || procs_.orphaned()) return make_error(ErrorKind::kConflict, "container is not running");
    Fd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
    auto r = spawn_runner({"start", id_}, null.get(), null.get(), null.get());
    if (!r) return std::move(r).error();
    init.runner = std::move(*r);
    init.runner.requester = client;
    return {};
  }

  // Starts `berth exec --detach` for the request; the reply goes out when it
  // has finished (runner_exited). Its process is then our child: the runner
  // exits and we are the subreaper.
  Status start_exec(int client, std::string_view key_v, std::string_view flags, std::string_view json,
                    std::vector<Fd>& fds) {
    std::string key(key_v);
    BERTH_TRY(validate_key(key));
    if (procs_.find(key)) return make_error(ErrorKind::kAlreadyExists, "exec id \"" + key + "\" is in use");
    if (procs_.init().exited) return make_error(ErrorKind::kConflict, "container is not running");
    const bool terminal = flags.find('t') != std::string_view::npos;
    // The caller's fds, in the order of the flags.
    Fd caller_in, caller_out, caller_err;
    size_t next = 0;
    for (char f : flags) {
      Fd* slot = f == 'i' ? &caller_in : f == 'o' ? &caller_out : f == 'e' ? &caller_err : nullptr;
      if (!slot) continue;
      if (next >= fds.size()) return invalid("shim: exec: flags name more fds than were passed");
      *slot = std::move(fds[next++]);
    }
    Proc p;
    Fd child_in, child_out, child_err, null(::open("/dev/null", O_RDWR | O_CLOEXEC));
    if (!terminal) {
      auto pipe_to = [](Pump& pump, Fd& child, Fd caller, bool input) -> Status {
        int fd[2];
        if (::pipe2(fd, O_CLOEXEC) < 0) return sys_error("pipe");
        if (input) {
          pump.from = std::move(caller);
          pump.to.reset(fd[1]);
          child.reset(fd[0]);
        } else {
          pump.from.reset(fd[0]);
          pump.to = std::move(caller);
          child.reset(fd[1]);
          set_nonblock(fd[0]);
        }
        return {};
      };
      if (caller_in) BERTH_TRY(pipe_to(p.in, child_in, std::move(caller_in), true));
      if (caller_out) BERTH_TRY(pipe_to(p.out, child_out, std::move(caller_out), false));
      if (caller_err) BERTH_TRY(pipe_to(p.err, child_err, std::move(caller_err), false));
    } else {
      // The master arrives on a socket of ours (take_console).
      p.in.from = std::move(caller_in);
      p.out.to = std::move(caller_out);
      p.console_listen.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
      p.console_name = "console-" + std::to_string(++console_seq_) + ".sock";
      std::string path = "/proc/self/fd/" + std::to_string(dir_.get()) + "/" + p.console_name;
      ::unlink(path.c_str());
      sockaddr_un addr{};
      addr.sun_family = AF_UNIX;
      std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
      if (!p.console_listen || ::bind(p.console_listen.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 ||
          ::listen(p.console_listen.get(), 1) < 0)
        return sys_error("console socket");
    }
    p.process_json.reset(static_cast<int>(::syscall(SYS_memfd_create, "process.json", MFD_CLOEXEC)));
    if (!p.process_json || !write_all(p.process_json.get(), json.data(), json.size())) return sys_error("process.json");
    // Paths through our own /proc entry: short, and they name exactly these files.
    const std::string self = "/proc/" + std::to_string(::getpid()) + "/fd/";
    const std::string dir = self + std::to_string(dir_.get()) + "/";
    std::vector<std::string> args = {"exec",       "--detach",
                                     "--process",  self + std::to_string(p.process_json.get()),
                                     "--pid-file", dir + "exec." + key + ".pid"};
    if (terminal) {
      args.push_back("--console-socket");
      args.push_back(dir + p.console_name);
    }
    args.push_back(id_);
    int in = child_in ? child_in.get() : null.get(), out = child_out ? child_out.get() : null.get(),
        err = child_err ? child_err.get() : null.get();
    auto r = spawn_runner(args, in, out, err);
    if (!r) return std::move(r).error();
    p.runner = std::move(*r);
    p.runner.requester = client;
    procs_.map().emplace(key, std::move(p));
    return {};
  }

  void take_console(Proc& p) {
    if (!p.console_listen) return;
    Fd conn(::accept4(p.console_listen.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!conn) return;
    char name[256];
    Fd master;
    if (!recv_with_fd(conn.get(), name, sizeof name, master) || !master) return;
    p.console_listen.reset();
    ::unlinkat(dir_.get(), p.console_name.c_str(), 0);
    p.out.from.reset(::fcntl(master.get(), F_DUPFD_CLOEXEC, 3));
    set_nonblock(p.out.from.get());
    if (p.in.from) p.in.to.reset(::fcntl(master.get(), F_DUPFD_CLOEXEC, 3));
    p.pty = std::move(master);
  }

  // A runner has exited (its pidfd polled readable, or it is the zombie
  // reap_orphans found). True when it was collected. key by value: it may
  // be the key of the process that exec_started forgets.
  // cppcheck-suppress passedByValue
  bool runner_exited(std::string key) {  // NOLINT(performance-unnecessary-value-param)
    Proc* p = procs_.find(key);
    if (!p) return false;
    auto status = collect_runner(p->runner);
    if (!status) return false;
    Runner r = std::exchange(p->runner, Runner{});
    if (key == kInitKey) {
      reply(r.requester, *status == 0 ? "ok" : encode_error(runner_error(r, *status, "start")));
    } else {
      exec_started(key, r, *status);
    }
    return true;
  }

  // key by value: the process may be forgotten here.
  // cppcheck-suppress passedByValue
  void exec_started(std::string key, Runner& r, int status) {  // NOLINT(performance-unnecessary-value-param)
    Proc& p = *procs_.find(key);
    p.process_json.reset();
    take_console(p);
    if (p.console_listen) {
      p.console_listen.reset();
      ::unlinkat(dir_.get(), p.console_name.c_str(), 0);
    }
    const std::string pid_name = "exec." + key + ".pid";
    auto text = [&]() -> std::string {
      auto f = open_at(dir_.get(), pid_name, O_RDONLY);
      if (!f) return "";
      auto t = read_fd(f->get());
      return t ? *t : "";
    }();
    ::unlinkat(dir_.get(), pid_name.c_str(), 0);
    int64_t pid = 0;
    if (status != 0 || !parse_int64(trim(text), pid) || pid <= 0) {
      const Error e = runner_error(r, status, "exec");
      reply(r.requester, encode_error(e));
      for (int w : p.waiters) reply(w, encode_error(e));
      procs_.erase(key);
      return;
    }
    p.pid = static_cast<pid_t>(pid);
    // Not reaped since the runner started (no zombie is while an exec is
    // starting): the pid is still this process's, alive or a zombie.
    p.pidfd = open_pidfd(p.pid);
    reply(r.requester, "started " + std::to_string(pid));
    if (!p.pidfd) {
      procs_.exited(p, 255 << 8);  // gone and reaped by another: lost, as containerd reports it
      return;
    }
    procs_.collect(p);  // it may have exited already
  }

  // What berth logged (JSON lines): the kind and msg of its last error.
  Error runner_error(Runner& r, int status, const char* what) {
    set_nonblock(r.log.get());
    auto text = read_fd(r.log.get());
    Error e = make_error(ErrorKind::kInternal,
                         std::string(what) + " failed (status " + std::to_string(exit_code_of(status)) + ")");
    if (!text) return e;
    for (const auto& line : split(*text, '\n')) {
      if (line.find("\"level\":\"error\"") == std::string::npos) continue;
      e.kind = kind_from_name(json_string_field(line, "kind"));
      e.message = json_string_field(line, "msg");
    }
    return e;
  }

  // The string value of "name" in one flat JSON object line (berth's log),
  // with \" and \\ unescaped; the shim does not carry a JSON parser.
  static std::string json_string_field(const std::string& line, const std::string& name) {
    auto at = line.find("\"" + name + "\":\"");
    if (at == std::string::npos) return "";
    std::string out;
    for (size_t i = at + name.size() + 4; i < line.size() && line[i] != '"'; ++i) {
      if (line[i] == '\\' && i + 1 < line.size()) ++i;
      out += line[i];
    }
    return out;
  }

  std::string root_, id_;
  Fd dir_;  // before procs_, which records into it
  Procs procs_;
  Fd exe_, listen_, log_, sigfd_;
  std::vector<Fd> clients_;
  uint64_t console_seq_ = 0;
};

}  // namespace

int monitor_main(int argc, char** argv) {
  Monitor m(parse_args(argc, argv));
  return m.run();
}

}  // namespace berth::shim
