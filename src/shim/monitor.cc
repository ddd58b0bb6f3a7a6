// The shim's waiting half: a single-threaded poll loop that reaps the
// container's processes, pumps their stdio, records how they ended and
// answers the control socket (shim/protocol.h).
#include "shim/monitor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <chrono>
#include <map>
#include <memory>

#include "base/file.h"
#include "base/scm_rights.h"
#include "shim/protocol.h"
#include "shim/pump.h"

extern char** environ;

namespace berth::shim {

namespace {

struct Proc {
  pid_t pid = 0;  // 0 while its `berth exec` runs
  bool exited = false;
  int status = 0;
  std::string exited_at;
  Pump in, out, err;
  Fd pty;
  std::vector<int> waiters;  // clients waiting for the exit
  // An exec being started:
  pid_t runner = 0;
  Fd runner_log, process_json, console_listen;
  std::string console_name;  // short: sun_path holds 108 bytes, an exec id up to 128
  uint64_t runner_seq = 0;   // reaps before the runner started cannot be its process's
  int requester = -1;
};

int code_of(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

std::string exit_reply(const Proc& p) {
  return "exit " + std::to_string(p.pid) + " " + std::to_string(code_of(p.status)) + " " +
         std::to_string(WIFSIGNALED(p.status) ? WTERMSIG(p.status) : 0) + " " + p.exited_at;
}

std::string exit_json(const Proc& p) {
  return "{\"pid\":" + std::to_string(p.pid) + ",\"exitCode\":" + std::to_string(code_of(p.status)) +
         ",\"signal\":" + std::to_string(WIFSIGNALED(p.status) ? WTERMSIG(p.status) : 0) + ",\"exitedAt\":\"" +
         p.exited_at + "\"}";
}

// Never waits: a client that does not read its replies loses them, the
// shim does not stall.
void reply(int client, const std::string& msg) {
  if (client >= 0) (void)!::send(client, msg.data(), msg.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

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
  Monitor(std::map<std::string, std::string> args) {
    root_ = args["root"];
    id_ = args["id"];
    dir_ = take_fd(args, "dir");
    exe_ = take_fd(args, "exe");
    listen_ = take_fd(args, "sock");
    log_ = take_fd(args, "log");
    Proc& init = procs_[kInitKey];
    init.pid = std::atoi(args["init"].c_str());
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
    close_other_fds(args);
  }

  // Whatever else came through execve (a caller's fd without close-on-exec)
  // is not ours to keep open for the container's lifetime.
  static void close_other_fds(const std::map<std::string, std::string>& args) {
    std::vector<unsigned> keep = {0, 1, 2};
    for (const auto& [key, value] : args)
      if (key != "root" && key != "id" && key != "init") keep.push_back(static_cast<unsigned>(std::atoi(value.c_str())));
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
    ::sigprocmask(SIG_BLOCK, &chld, nullptr);
    sigfd_.reset(::signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK));
    for (;;) {
      reap();  // the init may have exited before the signalfd existed
      flush_records();
      if (done()) break;
      poll_once(pending_.empty() ? -1 : 20);
    }
    // Requests already sent (a "wait" on a connection not yet accepted)
    // are answered before we go: a caller never sees EOF for an exit we know.
    for (int i = 0; i < 64 && poll_once(0) > 0; ++i) {
    }
    // Output still buffered for a slow reader: five seconds more, no longer.
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (writes_pending() && std::chrono::steady_clock::now() < until) poll_once(100);
    // The last records: a delete holding the lock finishes soon.
    for (int i = 0; i < 250 && !pending_.empty(); ++i) {
      ::usleep(20000);
      flush_records();
    }
    return 0;
  }

 private:
  bool writes_pending() const {
    for (const auto& [key, p] : procs_)
      if (p.out.wants_write() || p.err.wants_write()) return true;
    return false;
  }

  // The init has exited and no exec is still starting or running.
  bool done() const {
    for (const auto& [key, p] : procs_)
      if (!p.exited && (p.runner || p.pid)) return false;
    return procs_.at(kInitKey).exited || orphaned_;
  }

  // What a ready fd is for; looked up again when handled, since an earlier
  // handler of the same round may have closed it or forgotten its process.
  enum class Source { kSignal, kListen, kClient, kStdin, kStdout, kStderr, kConsole };
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
    for (auto& [key, p] : procs_) {
      const std::pair<Pump*, Source> pumps[] = {{&p.in, Source::kStdin}, {&p.out, Source::kStdout},
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
        signalfd_siginfo si;
        while (::read(sigfd_.get(), &si, sizeof si) == sizeof si) {
        }
        return;
      }
      case Source::kListen:
        return accept_client();
      case Source::kClient:
        return serve(w.fd);
      default:
        break;
    }
    auto it = procs_.find(w.key);
    if (it == procs_.end()) return;
    Proc& p = it->second;
    Pump* pump = w.source == Source::kStdin ? &p.in : w.source == Source::kStdout ? &p.out : &p.err;
    if (w.source == Source::kConsole) {
      take_console(p);
    } else if (w.write && pump->to.get() == w.fd) {
      pump->on_writable();
    } else if (!w.write && pump->from.get() == w.fd) {
      pump->on_readable();
    }
  }

  void reap() {
    int status;
    pid_t pid;
    while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
      auto it = find_proc([pid](const Proc& q) { return q.pid == pid && !q.exited; });
      if (it != procs_.end()) {
        exited(it->second, status);
        continue;
      }
      it = find_proc([pid](const Proc& q) { return q.runner == pid; });
      if (it != procs_.end()) {
        runner_done(it->first, status);
        continue;
      }
      // An exec'd process can be reaped before its pid file is read; the
      // container's other orphans land here too.
      if (unclaimed_.size() > 4096) unclaimed_.clear();
      unclaimed_[pid] = {status, ++reap_seq_};
    }
    if (pid < 0 && errno == ECHILD && !procs_.at(kInitKey).exited) orphaned_ = true;  // not ours to wait for
  }

  template <class Pred>
  std::map<std::string, Proc>::iterator find_proc(Pred pred) {
    for (auto it = procs_.begin(); it != procs_.end(); ++it)
      if (pred(it->second)) return it;
    return procs_.end();
  }

  void exited(Proc& p, int status) {
    p.exited = true;
    p.status = status;
    p.exited_at = now_rfc3339_nano();
    p.out.drain();
    p.err.drain();
    p.in.close();  // nobody reads it any more
    const std::string key = key_of(p);
    pending_.emplace_back(exit_file(key), exit_json(p));
    for (int w : p.waiters) reply(w, exit_reply(p));
    p.waiters.clear();
  }

  std::string key_of(const Proc& p) const {
    for (const auto& [key, q] : procs_)
      if (&q == &p) return key;
    return kInitKey;
  }

  // Under the container's lock (non-blocking: a delete holding it may be
  // waiting for us to reap), and only while the directory is still linked:
  // once deleted, there is nothing to record into.
  void flush_records() {
    if (pending_.empty()) return;
    struct stat sb;
    if (!dir_ || ::fstat(dir_.get(), &sb) < 0 || sb.st_nlink == 0) {
      pending_.clear();
      return;
    }
    if (::flock(dir_.get(), LOCK_EX | LOCK_NB) < 0) return;
    for (const auto& [name, json] : pending_) (void)write_file_atomic(dir_.get(), name, json, 0644);
    ::flock(dir_.get(), LOCK_UN);
    pending_.clear();
  }

  void accept_client() {
    int fd = ::accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) clients_.emplace_back(fd);
  }

  void drop_client(int fd) {
    for (auto& [key, p] : procs_) {
      std::erase(p.waiters, fd);
      if (p.requester == fd) p.requester = -1;
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

  Result<Proc*> proc(std::string_view key) {
    auto it = procs_.find(std::string(key));
    if (it == procs_.end()) return make_error(ErrorKind::kNotFound, "no process \"" + std::string(key) + "\"");
    return &it->second;
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
    auto p = proc(w[1]);
    if (!p) return std::move(p).error();
    Proc& pr = **p;
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
      // Not reaped yet, so the pid is still this process's: no reuse race.
      if (pr.exited || pr.pid <= 0) return make_error(ErrorKind::kNotFound, "process already finished");
      if (::kill(pr.pid, std::atoi(std::string(w[2]).c_str())) < 0) return sys_error("kill");
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
      procs_.erase(std::string(w[1]));
      const std::string file = exit_file(w[1]);
      std::erase_if(pending_, [&](const auto& rec) { return rec.first == file; });
      ::unlinkat(dir_.get(), file.c_str(), 0);
      reply(client, "ok");
      return {};
    }
    return make_error(ErrorKind::kNotImplemented, "shim: unknown request \"" + std::string(op) + "\"");
  }

  // Starts `berth exec --detach` for the request; the reply goes out when it
  // has finished (runner_done). Its process is then our child: the runner
  // exits and we are the subreaper.
  Status start_exec(int client, std::string_view key_v, std::string_view flags, std::string_view json,
                    std::vector<Fd>& fds) {
    std::string key(key_v);
    BERTH_TRY(validate_key(key));
    if (procs_.count(key)) return make_error(ErrorKind::kAlreadyExists, "exec id \"" + key + "\" is in use");
    if (procs_.at(kInitKey).exited) return make_error(ErrorKind::kConflict, "container is not running");
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
    if (!p.process_json || !write_all(p.process_json.get(), json.data(), json.size()))
      return sys_error("process.json");
    int log[2];
    if (::pipe2(log, O_CLOEXEC) < 0) return sys_error("pipe");
    p.runner_log.reset(log[0]);
    Fd log_w(log[1]);

    // Paths through our own /proc entry: short, and they name exactly these files.
    const std::string self = "/proc/" + std::to_string(::getpid()) + "/fd/";
    const std::string dir = self + std::to_string(dir_.get()) + "/";
    std::vector<std::string> args = {"berth",     "--root",    root_,
                                     "--log",     "/proc/self/fd/3", "--log-format", "json", "exec",
                                     "--detach",  "--process", self + std::to_string(p.process_json.get()),
                                     "--pid-file", dir + "exec." + key + ".pid"};
    if (terminal) {
      args.push_back("--console-socket");
      args.push_back(dir + p.console_name);
    }
    args.push_back(id_);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int in = child_in ? child_in.get() : null.get(), out = child_out ? child_out.get() : null.get(),
        err = child_err ? child_err.get() : null.get();
    pid_t runner = ::fork();
    if (runner < 0) return sys_error("fork");
    if (runner == 0) {
      // dup2 clears close-on-exec; fd 3 is the log pipe.
      if (::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0 || ::dup2(log_w.get(), 3) < 0) ::_exit(127);
      ::sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      ::signal(SIGPIPE, SIG_DFL);
      ::syscall(SYS_execveat, exe_.get(), "", argv.data(), environ, AT_EMPTY_PATH);
      ::_exit(127);
    }
    p.runner = runner;
    p.runner_seq = reap_seq_;
    p.requester = client;
    procs_.emplace(key, std::move(p));
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

  // key by value: the process may be forgotten here.
  void runner_done(std::string key, int status) {
    Proc& p = procs_.at(key);
    p.runner = 0;
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
      const Error e = runner_error(p, status);
      reply(p.requester, encode_error(e));
      for (int w : p.waiters) reply(w, encode_error(e));
      procs_.erase(key);
      return;
    }
    p.runner_log.reset();
    p.pid = static_cast<pid_t>(pid);
    reply(p.requester, "started " + std::to_string(pid));
    p.requester = -1;
    // Reaped before its pid was known; an older entry is another process
    // that had the same pid.
    if (auto it = unclaimed_.find(p.pid); it != unclaimed_.end() && it->second.seq > p.runner_seq) {
      int st = it->second.status;
      unclaimed_.erase(it);
      exited(p, st);
    }
  }

  // What berth exec logged (JSON lines): the kind and msg of its last error.
  Error runner_error(Proc& p, int status) {
    set_nonblock(p.runner_log.get());
    auto text = read_fd(p.runner_log.get());
    Error e = make_error(ErrorKind::kInternal, "exec failed (status " + std::to_string(code_of(status)) + ")");
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
  Fd dir_, exe_, listen_, log_, sigfd_;
  std::map<std::string, Proc> procs_;
  std::vector<Fd> clients_;
  struct Reaped {
    int status;
    uint64_t seq;
  };
  std::map<pid_t, Reaped> unclaimed_;
  uint64_t reap_seq_ = 0, console_seq_ = 0;
  std::vector<std::pair<std::string, std::string>> pending_;  // exit records to write: file, JSON
  bool orphaned_ = false;
};

}  // namespace

int monitor_main(int argc, char** argv) {
  Monitor m(parse_args(argc, argv));
  return m.run();
}

}  // namespace berth::shim
