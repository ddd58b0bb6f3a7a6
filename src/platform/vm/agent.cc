// berth as the guest agent of a utility VM: pid 1 of the guest. It makes the
// guest a container host (the modules the initramfs carries, proc, sys,
// devtmpfs, cgroup2 with every controller, the host's share over virtio-fs, the
// network the host passed on the kernel command line), then serves the
// virtio-serial port "berth.agent": each channel runs one guest berth
// command line (platform/vm/protocol.h) against the guest's state root.
//
// pid 1 is every orphan's reaper, so the containers' inits and exec'd
// processes (whose guest berth exits once they are made) are its children:
// their exits are what kExit reports.
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/fd.h"
#include "base/file.h"
#include "base/scm_rights.h"
#include "platform/vm/agent.h"
#include "platform/vm/protocol.h"

namespace berth::vm {

namespace {

constexpr char kGuestRoot[] = "/run/berth";
constexpr char kWork[] = "/run/berth-agent";

void say(const std::string& line) {
  std::string l = "berth-agent: " + line + "\n";
  (void)!::write(2, l.data(), l.size());
}

[[noreturn]] void die(const std::string& what) {
  say(sys_error(what).message);
  ::sync();
  ::reboot(RB_POWER_OFF);  // the host sees the VM stop; -no-reboot ends QEMU
  _exit(1);
}

// The initramfs's modules, in /modules/order's order (dependencies first).
void load_modules() {
  auto order = read_file("/modules/order");
  if (!order) return;
  for (const auto& name : split(*order, '\n')) {
    if (name.empty()) continue;
    std::string path = "/modules/" + name;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) die("open " + path);
    if (::syscall(SYS_finit_module, fd, "", 0) < 0 && errno != EEXIST) die("load module " + name);
    ::close(fd);
  }
}

// pivot_root, which every container does, cannot leave the initramfs: the
// agent moves itself onto a tmpfs first and starts again there.
void leave_initramfs() {
  if (::mkdir("/newroot", 0755) < 0 && errno != EEXIST) die("mkdir /newroot");
  if (::mount("tmpfs", "/newroot", "tmpfs", 0, "mode=0755") < 0) die("mount /newroot");
  auto self = read_file("/init");  // berth is the initramfs's /init
  if (!self) die("read /init");
  if (!create_file("/newroot/berth", *self, 0755)) die("write /newroot/berth");
  if (::chdir("/newroot") < 0 || ::mount(".", "/", nullptr, MS_MOVE, nullptr) < 0 || ::chroot(".") < 0 ||
      ::chdir("/") < 0)
    die("switch to the tmpfs root");
  char name[] = "berth", cmd[] = "vm-agent", stage2[] = "--stage2";
  char* args[] = {name, cmd, stage2, nullptr};
  ::execv("/berth", args);
  die("exec /berth");
}

void mount_or_die(const char* src, const char* target, const char* type, unsigned long flags, const char* data) {
  ::mkdir(target, 0755);
  if (::mount(src, target, type, flags, data) < 0) die(std::string("mount ") + target);
}

void make_container_host() {
  // /proc first: everything after reads it.
  mount_or_die("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr);
  mount_or_die("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr);
  mount_or_die("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
  mount_or_die("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620");
  mount_or_die("shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
  mount_or_die("run", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
  mount_or_die("tmp", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
  mount_or_die("cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr);
  // Every controller for the containers' cgroups, as a v2 host delegates them.
  if (auto c = read_file("/sys/fs/cgroup/cgroup.controllers"))
    for (const auto& name : split(std::string(trim(*c)), ' '))
      if (!name.empty()) (void)write_file("/sys/fs/cgroup/cgroup.subtree_control", "+" + name);
  mount_or_die("berth", "/share", "virtiofs", 0, nullptr);
  ::mkdir(kGuestRoot, 0700);
  ::mkdir(kWork, 0700);
}

// berth.net=ADDR/PREFIX[,GATEWAY[,MTU]] on the kernel command line: the
// address of the pod's interface, which the host connected to this VM's eth0.
void configure_network() {
  int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return;
  auto up = [&](const char* name) {
    struct ifreq ifr = {};
    std::snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
    if (::ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
      ifr.ifr_flags |= IFF_UP;
      (void)::ioctl(s, SIOCSIFFLAGS, &ifr);
    }
  };
  up("lo");
  auto cmdline = read_file("/proc/cmdline");
  std::string net;
  if (cmdline)
    for (const auto& word : split(std::string(trim(*cmdline)), ' '))
      if (word.starts_with("berth.net=")) net = word.substr(10);
  if (!net.empty()) {
    auto parts = split(net, ',');
    auto slash = parts[0].find('/');
    std::string addr = parts[0].substr(0, slash);
    int prefix = slash == std::string::npos ? 32 : std::atoi(parts[0].c_str() + slash + 1);
    struct ifreq ifr = {};
    std::snprintf(ifr.ifr_name, IFNAMSIZ, "eth0");
    auto* sin = reinterpret_cast<struct sockaddr_in*>(&ifr.ifr_addr);
    sin->sin_family = AF_INET;
    if (::inet_pton(AF_INET, addr.c_str(), &sin->sin_addr) == 1 && ::ioctl(s, SIOCSIFADDR, &ifr) == 0) {
      sin->sin_addr.s_addr = htonl(prefix == 0 ? 0 : ~0u << (32 - prefix));
      (void)::ioctl(s, SIOCSIFNETMASK, &ifr);
      if (parts.size() > 2 && std::atoi(parts[2].c_str()) > 0) {
        ifr.ifr_mtu = std::atoi(parts[2].c_str());
        (void)::ioctl(s, SIOCSIFMTU, &ifr);
      }
      up("eth0");
      if (parts.size() > 1 && !parts[1].empty()) {
        struct rtentry rt = {};
        auto* gw = reinterpret_cast<struct sockaddr_in*>(&rt.rt_gateway);
        gw->sin_family = AF_INET;
        reinterpret_cast<struct sockaddr_in*>(&rt.rt_dst)->sin_family = AF_INET;
        reinterpret_cast<struct sockaddr_in*>(&rt.rt_genmask)->sin_family = AF_INET;
        rt.rt_flags = RTF_UP | RTF_GATEWAY;
        if (::inet_pton(AF_INET, parts[1].c_str(), &gw->sin_addr) == 1) (void)::ioctl(s, SIOCADDRT, &rt);
      }
    } else {
      say(sys_error("berth.net=" + net + ": cannot set eth0's address").message);
    }
  }
  ::close(s);
}

// The virtio-serial port named "berth.agent".
Fd open_port() {
  for (int tries = 0; tries < 100; ++tries) {
    for (int dev = 0; dev < 4; ++dev)
      for (int port = 0; port < 4; ++port) {
        std::string base = "vport" + std::to_string(dev) + "p" + std::to_string(port);
        auto name = read_file("/sys/class/virtio-ports/" + base + "/name");
        if (name && trim(*name) == "berth.agent") {
          int fd = ::open(("/dev/" + base).c_str(), O_RDWR | O_CLOEXEC | O_NONBLOCK);
          if (fd >= 0) return Fd(fd);
        }
      }
    ::usleep(20000);
  }
  errno = ENOENT;
  die("find virtio-serial port berth.agent");
}

// One channel: a guest berth command and, with watch, the process it made.
struct Channel {
  uint32_t id = 0;
  pid_t cmd = 0;         // the guest berth process, 0 once reaped
  bool watch = false;    // report the made process's exit (kExit)
  pid_t watched = 0;     // the made process, once kDone was sent
  bool exited = false;   // kExit sent (or nothing to watch)
  std::string pid_file;  // where the command writes the made process's pid
  std::string console;   // the console socket the command sends a pty master to
  Fd console_listen;
  Fd in, out, err;  // the command's stdin, stdout, stderr (out: the pty master with a terminal)
  std::string in_buf;
  bool in_eof = false;
  std::chrono::steady_clock::time_point exit_at{};
};

class Agent {
 public:
  explicit Agent(Fd port) : port_(std::move(port)) {}
  [[noreturn]] void run();

 private:
  void send(uint32_t ch, Frame type, std::string_view data) {
    if (!write_all(port_.get(), encode_frame(ch, type, data))) die("write to the host");
  }
  void open_channel(uint32_t id, const std::string& request);
  void on_message(const Message& m);
  void reap();
  void command_done(Channel& c, int status);
  void process_exited(Channel& c, int status);
  void pump(Channel& c, Fd& fd, Frame type);
  void flush_stdin(Channel& c);
  void finish_if_over(uint32_t id);
  void close_channel(uint32_t id);

  Fd port_;
  FrameReader reader_;
  std::map<uint32_t, std::unique_ptr<Channel>> channels_;
  std::map<pid_t, int> unclaimed_;  // exits of processes no channel watches (yet)
};

void Agent::open_channel(uint32_t id, const std::string& request) {
  auto ch = std::make_unique<Channel>();
  ch->id = id;
  std::vector<std::string> argv;
  bool tty = false;
  try {
    auto j = nlohmann::json::parse(request);
    argv = j.at("argv").get<std::vector<std::string>>();
    ch->watch = j.value("watch", false);
    tty = j.value("tty", false);
  } catch (const std::exception& e) {
    send(id, Frame::kStderr, std::string("agent: bad request: ") + e.what() + "\n");
    send(id, Frame::kDone, R"({"status":512,"pid":0})");
    send(id, Frame::kEnd, "");
    return;
  }
  std::string tag = std::string(kWork) + "/c" + std::to_string(id);
  ch->pid_file = tag + ".pid";
  ch->console = tag + ".sock";
  for (auto& a : argv) {
    if (a == "{pid-file}") a = ch->pid_file;
    if (a == "{console}") a = ch->console;
  }
  if (tty) {
    int l = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    struct sockaddr_un sa = {};
    sa.sun_family = AF_UNIX;
    std::snprintf(sa.sun_path, sizeof sa.sun_path, "%s", ch->console.c_str());
    ::unlink(ch->console.c_str());
    if (l < 0 || ::bind(l, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0 || ::listen(l, 1) < 0)
      die("console socket");
    ch->console_listen = Fd(l);
  }
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) < 0 || ::pipe2(out, O_CLOEXEC) < 0 || ::pipe2(err, O_CLOEXEC) < 0) die("pipe");
  pid_t pid = ::fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    sigset_t all;
    ::sigemptyset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, nullptr);
    std::vector<std::string> full = {"berth", "--root", kGuestRoot, "--log-format", "json"};
    full.insert(full.end(), argv.begin(), argv.end());
    std::vector<char*> cargv;
    for (auto& s : full) cargv.push_back(s.data());
    cargv.push_back(nullptr);
    ::execv("/berth", cargv.data());
    _exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  ch->cmd = pid;
  ch->in = Fd(in[1]);
  ch->out = Fd(out[0]);
  ch->err = Fd(err[0]);
  // Nothing may block pid 1: a read of output that is not there would stop
  // every other channel.
  for (int fd : {ch->in.get(), ch->out.get(), ch->err.get()}) ::fcntl(fd, F_SETFL, O_NONBLOCK);
  channels_[id] = std::move(ch);
}

void Agent::command_done(Channel& c, int status) {
  c.cmd = 0;
  int pid = 0;
  if (c.watch && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    if (auto text = read_file(c.pid_file)) pid = std::atoi(std::string(trim(*text)).c_str());
    ::unlink(c.pid_file.c_str());
    if (c.console_listen) {
      // The guest berth sent the pty master before it exited: it waits in the backlog.
      int conn = ::accept4(c.console_listen.get(), nullptr, nullptr, SOCK_CLOEXEC);
      if (conn >= 0) {
        char buf[256];
        Fd master;
        if (recv_with_fd(conn, buf, sizeof buf, master) && master) {
          c.out = std::move(master);  // the command's own stdout is at EOF: it exited
          ::fcntl(c.out.get(), F_SETFL, O_NONBLOCK);
          c.in.reset(::dup(c.out.get()));
        }
        ::close(conn);
      }
    }
  }
  if (c.console_listen) {
    c.console_listen.reset();
    ::unlink(c.console.c_str());
  }
  c.watched = pid;
  c.exited = pid == 0;
  send(c.id, Frame::kDone, R"({"status":)" + std::to_string(status) + R"(,"pid":)" + std::to_string(pid) + "}");
  if (pid != 0) {
    auto it = unclaimed_.find(pid);
    if (it != unclaimed_.end()) {
      int st = it->second;
      unclaimed_.erase(it);
      process_exited(c, st);
    }
  }
}

void Agent::process_exited(Channel& c, int status) {
  c.exited = true;
  c.watched = 0;
  c.exit_at = std::chrono::steady_clock::now();
  // What the process wrote before it exited goes first.
  if (c.out) pump(c, c.out, Frame::kStdout);
  if (c.err) pump(c, c.err, Frame::kStderr);
  send(c.id, Frame::kExit, R"({"status":)" + std::to_string(status) + "}");
}

void Agent::reap() {
  for (;;) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    bool claimed = false;
    for (auto& [id, c] : channels_) {
      if (c->cmd == pid) {
        command_done(*c, status);
        claimed = true;
      } else if (c->watched == pid) {
        process_exited(*c, status);
        claimed = true;
      }
      if (claimed) {
        finish_if_over(id);
        break;
      }
    }
    if (!claimed) {
      unclaimed_[pid] = status;
      if (unclaimed_.size() > 4096) unclaimed_.erase(unclaimed_.begin());
    }
  }
}

// Relays what fd has: at EOF (or on a pty, EIO once every slave is closed)
// the fd is closed and an empty frame says so.
void Agent::pump(Channel& c, Fd& fd, Frame type) {
  char buf[32768];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n > 0) {
      send(c.id, type, std::string_view(buf, static_cast<size_t>(n)));
      if (static_cast<size_t>(n) < sizeof buf) return;
      continue;
    }
    if (n < 0 && (errno == EINTR)) continue;
    if (n < 0 && errno == EAGAIN) return;
    fd.reset();
    send(c.id, type, "");
    return;
  }
}

void Agent::flush_stdin(Channel& c) {
  while (c.in && !c.in_buf.empty()) {
    ssize_t n = ::write(c.in.get(), c.in_buf.data(), c.in_buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {
      c.in_buf.clear();
      c.in.reset();
      return;
    }
    c.in_buf.erase(0, static_cast<size_t>(n));
  }
  // A terminal's stdin is the master itself: only a pipe is closed at EOF.
  struct stat st;
  if (c.in && c.in_eof && c.in_buf.empty() && ::fstat(c.in.get(), &st) == 0 && S_ISFIFO(st.st_mode)) c.in.reset();
}

void Agent::finish_if_over(uint32_t id) {
  auto it = channels_.find(id);
  if (it == channels_.end()) return;
  Channel& c = *it->second;
  if (c.cmd != 0 || !c.exited) return;
  // Output still open after the process exited (a daemon it left holds it):
  // the conversation ends two seconds after the exit all the same.
  bool late = c.exit_at != std::chrono::steady_clock::time_point{} &&
              std::chrono::steady_clock::now() - c.exit_at > std::chrono::seconds(2);
  if ((c.out || c.err) && !late) return;
  send(id, Frame::kEnd, "");
  channels_.erase(it);
}

void Agent::close_channel(uint32_t id) {
  auto it = channels_.find(id);
  if (it == channels_.end()) return;
  Channel& c = *it->second;
  // The host's stand-in is gone: so is what it stood for.
  if (c.watched > 0) ::kill(c.watched, SIGKILL);
  if (c.cmd > 0) ::kill(c.cmd, SIGKILL);
  if (c.cmd > 0 || c.watched > 0) {
    // Its exit is reaped later, unclaimed; the channel ends now.
    c.in.reset();
    c.out.reset();
    c.err.reset();
  }
  if (c.console_listen) ::unlink(c.console.c_str());
  channels_.erase(it);
}

void Agent::on_message(const Message& m) {
  if (m.type == Frame::kOpen) {
    if (!channels_.count(m.channel)) open_channel(m.channel, m.data);
    return;
  }
  auto it = channels_.find(m.channel);
  if (it == channels_.end()) return;
  Channel& c = *it->second;
  switch (m.type) {
    case Frame::kStdin:
      if (m.data.empty())
        c.in_eof = true;
      else
        c.in_buf += m.data;
      flush_stdin(c);
      break;
    case Frame::kResize: {
      try {
        auto j = nlohmann::json::parse(m.data);
        struct winsize ws = {};
        ws.ws_row = j.at("rows").get<unsigned short>();
        ws.ws_col = j.at("cols").get<unsigned short>();
        if (c.out) (void)::ioctl(c.out.get(), TIOCSWINSZ, &ws);
      } catch (const std::exception&) {
      }
      break;
    }
    case Frame::kSignal: {
      int sig = std::atoi(m.data.c_str());
      pid_t target = c.watched > 0 ? c.watched : c.cmd;
      if (target > 0 && sig > 0) ::kill(target, sig);
      break;
    }
    case Frame::kClose: close_channel(m.channel); break;
    default: break;
  }
}

void Agent::run() {
  sigset_t mask;
  ::sigemptyset(&mask);
  ::sigaddset(&mask, SIGCHLD);
  ::pthread_sigmask(SIG_BLOCK, &mask, nullptr);
  Fd sfd(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
  struct utsname u;
  ::uname(&u);
  nlohmann::json hello = {{"kernel", u.release}};
  send(0, Frame::kReady, hello.dump());
  for (;;) {
    std::vector<struct pollfd> fds;
    std::vector<std::pair<uint32_t, int>> who;  // channel, 0 out / 1 err / 2 in
    fds.push_back({port_.get(), POLLIN, 0});
    fds.push_back({sfd.get(), POLLIN, 0});
    for (auto& [id, c] : channels_) {
      if (c->out) fds.push_back({c->out.get(), POLLIN, 0}), who.emplace_back(id, 0);
      if (c->err) fds.push_back({c->err.get(), POLLIN, 0}), who.emplace_back(id, 1);
      if (c->in && !c->in_buf.empty()) fds.push_back({c->in.get(), POLLOUT, 0}), who.emplace_back(id, 2);
    }
    int n = ::poll(fds.data(), fds.size(), channels_.empty() ? -1 : 500);
    if (n < 0 && errno != EINTR) die("poll");
    if (fds[0].revents & (POLLIN | POLLHUP)) {
      if (!read_into(port_.get(), reader_)) {
        // The host end of the port is not connected (yet): wait for it.
        ::usleep(10000);
      }
      while (auto m = reader_.next()) on_message(*m);
    }
    if (fds[1].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (::read(sfd.get(), &si, sizeof si) > 0) {
      }
      reap();
    }
    for (size_t i = 2; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      auto [id, which] = who[i - 2];
      auto it = channels_.find(id);
      if (it == channels_.end()) continue;
      Channel& c = *it->second;
      if (which == 0 && c.out && c.out.get() == fds[i].fd) pump(c, c.out, Frame::kStdout);
      if (which == 1 && c.err && c.err.get() == fds[i].fd) pump(c, c.err, Frame::kStderr);
      if (which == 2) flush_stdin(c);
    }
    std::vector<uint32_t> ids;
    for (auto& [id, c] : channels_) ids.push_back(id);
    for (uint32_t id : ids) finish_if_over(id);
  }
}

}  // namespace

int agent_main(int argc, char** argv) {
  if (::getpid() != 1) {
    std::fprintf(stderr, "berth vm-agent: runs only as a utility VM's init (pid 1)\n");
    return 1;
  }
  // The kernel starts /init (berth) with no arguments; stage 2 is berth
  // vm-agent --stage2 from the tmpfs.
  bool stage2 = argc > 2 && std::strcmp(argv[2], "--stage2") == 0;
  if (!stage2) {
    load_modules();
    leave_initramfs();
  }
  make_container_host();
  configure_network();
  Agent(open_port()).run();
}

}  // namespace berth::vm
