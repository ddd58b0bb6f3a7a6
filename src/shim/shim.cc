#include "shim/shim.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "base/file.h"
#include "shim/protocol.h"

extern char** environ;

namespace berth::shim {

namespace {

// The start-up report on the pipe: "warn <text>" lines, then "ok" or
// "error <errno> <kind> <text>" (shim/protocol.h), one per line. EOF first
// means the shim died.
void report(int fd, const std::string& line) { (void)!::write(fd, (line + "\n").data(), line.size() + 1); }

[[noreturn]] void fail(int status_fd, const Error& e) {
  report(status_fd, encode_error(e));
  ::_exit(1);
}

Fd dup_fd(int fd) { return Fd(::fcntl(fd, F_DUPFD_CLOEXEC, 3)); }

// A pipe; the end that stays with the shim is close-on-exec, the other
// becomes the container's fd target (dup2 clears close-on-exec there).
Status pipe_onto(int target, bool container_reads, Fd& ours) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) < 0) return sys_error("shim: pipe");
  int theirs = container_reads ? p[0] : p[1];
  ours.reset(container_reads ? p[1] : p[0]);
  int r = ::dup2(theirs, target);
  ::close(theirs);
  if (r < 0) return sys_error("shim: dup2");
  return {};
}

// The control socket, bound before the caller hears "ok" so that it can
// connect at once.
Result<Fd> listen_control(int dirfd) {
  Fd s(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!s) return sys_error("shim: socket");
  std::string path = "/proc/self/fd/" + std::to_string(dirfd) + "/" + kSocketFile;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  ::unlink(path.c_str());
  if (::bind(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
    return sys_error("shim: bind control socket");
  if (::listen(s.get(), 64) < 0) return sys_error("shim: listen");
  return s;
}

[[noreturn]] void run(const state::Store& store, Options opts, int status_fd) {
  ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  Fd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  // The caller's stdio, for the pumps; fds 0-2 are what the init inherits.
  Fd caller_in = dup_fd(0), caller_out = dup_fd(1), caller_err = dup_fd(2);
  Fd in_to, out_from, err_from, log;
  if (!opts.output_log.empty()) {
    auto l = open_file(opts.output_log, O_WRONLY | O_CREAT | O_APPEND, 0640);
    if (!l) fail(status_fd, std::move(l).error().wrap("shim: output log"));
    log = std::move(*l);
  }
  if (opts.hold_stdio) {
    if (auto r = pipe_onto(0, true, in_to); !r) fail(status_fd, r.error());
  } else if (log) {
    ::dup2(null.get(), 0);
  }
  if (opts.hold_stdio || log) {
    if (auto r = pipe_onto(1, false, out_from); !r) fail(status_fd, r.error());
    if (auto r = pipe_onto(2, false, err_from); !r) fail(status_fd, r.error());
  }
  // Without a console socket, a terminal's master comes to us.
  opts.create.detach = !opts.create.console_socket.empty();

  auto created = runtime::create(store, opts.create,
                                 opts.start ? runtime::Park::kStartNow : runtime::Park::kStartCommand);
  if (!created) fail(status_fd, created.error());
  for (const auto& w : created->warnings) report(status_fd, "warn " + w);
  created->warnings.clear();
  auto master = created->creation->take_console();
  if (!master) {
    (void)runtime::destroy(created->c);
    fail(status_fd, master.error());
  }
  Fd pty = std::move(*master);
  if (pty) {
    out_from = dup_fd(pty.get());
    in_to = dup_fd(pty.get());
    err_from.reset();
  }
  if (opts.start) {
    if (auto r = runtime::start_now(*created); !r) {
      (void)runtime::destroy(created->c);
      fail(status_fd, r.error());
    }
    for (const auto& w : created->warnings) report(status_fd, "warn " + w);
  }
  // A new open of the directory, not a dup: the container's lock (a flock
  // on the open file) must go when Created does.
  Fd dir(::openat(created->c.dir.fd(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  auto sock = listen_control(dir.get());
  if (!sock) {
    (void)runtime::destroy(created->c);
    fail(status_fd, sock.error());
  }
  // berth itself, for the exec requests the monitor runs (`berth exec`).
  Fd exe(::open("/proc/self/exe", O_PATH | O_CLOEXEC));
  const pid_t init = created->init().pid();
  { runtime::Created done = std::move(*created); }  // unlocks; the init stays ours
  report(status_fd, "ok");
  ::close(status_fd);
  // Nothing of the caller's is held any more but what the pumps need: it
  // sees EOF on its pipes.
  for (int fd = 0; fd < 3; ++fd) ::dup2(null.get(), fd);
  // What the pumps keep of the caller's: everything when holding stdio; the
  // terminal's one input and output when holding a pty; else nothing.
  if (!opts.hold_stdio && !pty) caller_out.reset();
  if (!opts.hold_stdio || pty) caller_err.reset();
  if (!in_to) caller_in.reset();
  std::vector<std::string> args = {"berth-shim", "root=" + store.root(), "id=" + opts.create.id,
                                   "init=" + std::to_string(init)};
  auto pass = [&](const char* name, const Fd& fd) {
    if (!fd) return;
    ::fcntl(fd.get(), F_SETFD, 0);  // through execve
    args.push_back(std::string(name) + "=" + std::to_string(fd.get()));
  };
  pass("dir", dir);
  pass("exe", exe);
  pass("sock", *sock);
  pass("log", log);
  pass("pty", pty);
  pass("in-from", caller_in);
  if (caller_in) pass("in-to", in_to);
  pass("out-from", out_from);
  pass("out-to", caller_out);
  pass("err-from", err_from);
  pass("err-to", caller_err);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const char* monitor = ::getenv(kShimEnv);
  if (monitor && *monitor && ::access(monitor, X_OK) == 0) ::execv(monitor, argv.data());
  // No berth-shim: the same code in berth.
  argv.insert(argv.begin() + 1, const_cast<char*>("shim-monitor"));
  ::syscall(SYS_execveat, exe.get(), "", argv.data(), environ, AT_EMPTY_PATH);
  ::_exit(127);
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
  while (::waitpid(first, nullptr, 0) < 0 && errno == EINTR) {
  }
  pid_t shim = -1;
  if (::read(pid_r.get(), &shim, sizeof shim) != sizeof shim) return Error{EPIPE, "shim: fork failed"};
  // Line by line up to "ok" or "error": a parked init holds the pipe's write
  // end (inherited through clone) until it execs, so EOF may be far off.
  std::string line;
  char c;
  ssize_t n;
  while ((n = ::read(report_r.get(), &c, 1)) == 1 || (n < 0 && errno == EINTR)) {
    if (n < 0) continue;
    if (c != '\n') {
      line += c;
      continue;
    }
    if (line.rfind("warn ", 0) == 0) warnings.push_back(line.substr(5));
    if (line == "ok") return shim;
    if (line.rfind("error ", 0) == 0) return decode_error(line);
    line.clear();
  }
  return Error{EPIPE, "shim: exited before the container was created"};
}

Result<std::optional<ExitRecord>> read_exit(const state::Store& store, const std::string& id, const std::string& key) {
  auto dir = store.open(id);
  if (!dir) return std::move(dir).error();
  const std::string name = exit_file(key);
  if (!dir->has(name.c_str())) return std::optional<ExitRecord>();
  auto text = read_file(dir->path() + "/" + name);
  if (!text) return std::move(text).error();
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return invalid(dir->path() + "/" + name + ": not a JSON object");
  ExitRecord r;
  r.pid = j.value("pid", 0);
  r.exit_code = j.value("exitCode", 0);
  r.signal = j.value("signal", 0);
  r.exited_at = j.value("exitedAt", "");
  return std::optional<ExitRecord>(r);
}

}  // namespace berth::shim
