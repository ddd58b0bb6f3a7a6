#include "platform/vm/vm_shim.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/fd.h"
#include "base/file.h"
#include "platform/vm/protocol.h"

namespace berth::vm {

namespace {

constexpr int kControlFd = 3;
constexpr int kTapFd = 4;
constexpr size_t kMaxBacklog = 8 << 20;  // a client that reads nothing is dropped past this

void report(const std::string& line) { (void)write_all(kControlFd, line + "\n"); }

// A child that dies with the shim (PR_SET_PDEATHSIG), its output in the
// log; pass_fd, when not -1, becomes its fd 3.
pid_t spawn_child(char** argv, int pass_fd) {
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() == 1) _exit(1);
  int null = ::open("/dev/null", O_RDONLY);
  ::dup2(null, 0);
  // Not the control socket: its end is what the create waits for.
  if (pass_fd >= 0) ::dup2(pass_fd, 3);  // dup2 clears close-on-exec
  ::close_range(pass_fd >= 0 ? 4 : 3, ~0u, 0);
  sigset_t none;
  ::sigemptyset(&none);
  ::pthread_sigmask(SIG_SETMASK, &none, nullptr);
  ::execv(argv[0], argv);
  std::string msg = sys_error(std::string("exec ") + argv[0]).message + "\n";
  (void)!::write(2, msg.data(), msg.size());
  _exit(127);
}

Fd listen_at(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  struct sockaddr_un sa = {};
  sa.sun_family = AF_UNIX;
  if (fd < 0 || path.size() >= sizeof sa.sun_path) return Fd();
  std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
  ::unlink(path.c_str());
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0 || ::listen(fd, 64) < 0) {
    ::close(fd);
    return Fd();
  }
  ::chmod(path.c_str(), 0600);
  return Fd(fd);
}

struct Client {
  Fd fd;
  FrameReader reader;
  std::string backlog;  // frames for the client it has not read yet
};

class Shim {
 public:
  Shim(Fd agent_listen, Fd clients, pid_t qemu)
      : agent_listen_(std::move(agent_listen)), listen_(std::move(clients)), qemu_(qemu) {}
  // Until QEMU exits.
  void serve();
  // Waits for QEMU to connect and the agent's kReady; the kernel's release.
  Result<std::string> wait_ready(int timeout_ms);

 private:
  bool qemu_exited();
  void from_agent();
  void from_client(uint32_t id);
  void to_client(Client& c, std::string frame);

  Fd agent_listen_, agent_, listen_;
  pid_t qemu_;
  FrameReader agent_reader_;
  std::map<uint32_t, Client> clients_;
  uint32_t next_id_ = 1;
};

bool Shim::qemu_exited() {
  int status;
  return ::waitpid(qemu_, &status, WNOHANG) == qemu_;
}

Result<std::string> Shim::wait_ready(int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (qemu_exited()) return make_error(ErrorKind::kInternal, "the utility VM stopped while it booted");
    int fd = agent_ ? agent_.get() : agent_listen_.get();
    struct pollfd p = {fd, POLLIN, 0};
    (void)::poll(&p, 1, 100);
    if (!(p.revents & (POLLIN | POLLHUP))) continue;
    if (!agent_) {
      agent_ = Fd(::accept4(agent_listen_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      continue;
    }
    if (!read_into(agent_.get(), agent_reader_))
      return make_error(ErrorKind::kInternal, "the utility VM closed the agent's port while it booted");
    while (auto m = agent_reader_.next()) {
      if (m->type != Frame::kReady) continue;
      try {
        return nlohmann::json::parse(m->data).at("kernel").get<std::string>();
      } catch (const std::exception& e) {
        return make_error(ErrorKind::kInternal, std::string("the guest agent's hello: ") + e.what());
      }
    }
  }
  return make_error(ErrorKind::kInternal,
                    "the guest agent did not answer within " + std::to_string(timeout_ms / 1000) + " s");
}

void Shim::to_client(Client& c, std::string frame) {
  if (!c.backlog.empty()) {
    c.backlog += frame;
    return;
  }
  ssize_t n = ::send(c.fd.get(), frame.data(), frame.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n < 0) n = 0;
  if (static_cast<size_t>(n) < frame.size()) c.backlog = frame.substr(static_cast<size_t>(n));
}

void Shim::from_agent() {
  if (!read_into(agent_.get(), agent_reader_)) {
    agent_.reset();
    return;
  }
  while (auto m = agent_reader_.next()) {
    auto it = clients_.find(m->channel);
    if (it == clients_.end()) continue;
    to_client(it->second, encode_frame(m->channel, m->type, m->data));
  }
}

void Shim::from_client(uint32_t id) {
  Client& c = clients_[id];
  bool open = read_into(c.fd.get(), c.reader);
  while (auto m = c.reader.next())
    if (m->type != Frame::kClose) (void)write_all(agent_.get(), encode_frame(id, m->type, m->data));
  if (!open) {
    (void)write_all(agent_.get(), encode_frame(id, Frame::kClose, ""));
    clients_.erase(id);
  }
}

void Shim::serve() {
  sigset_t mask;
  ::sigemptyset(&mask);
  ::sigaddset(&mask, SIGCHLD);
  ::sigaddset(&mask, SIGTERM);  // delete: stop the VM, reap it, go
  ::pthread_sigmask(SIG_BLOCK, &mask, nullptr);
  Fd sfd(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
  while (agent_ && !qemu_exited()) {
    std::vector<struct pollfd> fds = {{sfd.get(), POLLIN, 0}, {agent_.get(), POLLIN, 0}, {listen_.get(), POLLIN, 0}};
    std::vector<uint32_t> ids;
    for (auto& [id, c] : clients_) {
      fds.push_back({c.fd.get(), static_cast<short>(POLLIN | (c.backlog.empty() ? 0 : POLLOUT)), 0});
      ids.push_back(id);
    }
    if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) return;
    if (fds[0].revents) {
      struct signalfd_siginfo si;
      bool term = false;
      while (::read(sfd.get(), &si, sizeof si) > 0) term = term || si.ssi_signo == SIGTERM;
      if (term) return;
    }
    if (fds[1].revents) from_agent();
    if (!agent_) return;
    if (fds[2].revents & POLLIN) {
      int fd;
      while ((fd = ::accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0)
        clients_[next_id_++].fd = Fd(fd);
    }
    for (size_t i = 0; i < ids.size(); ++i) {
      auto it = clients_.find(ids[i]);
      if (it == clients_.end()) continue;
      Client& c = it->second;
      if ((fds[3 + i].revents & POLLOUT) && !c.backlog.empty()) {
        ssize_t n = ::send(c.fd.get(), c.backlog.data(), c.backlog.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) c.backlog.erase(0, static_cast<size_t>(n));
      }
      if (c.backlog.size() > kMaxBacklog) {
        (void)write_all(agent_.get(), encode_frame(ids[i], Frame::kClose, ""));
        clients_.erase(it);
        continue;
      }
      if (fds[3 + i].revents & (POLLIN | POLLHUP | POLLERR)) from_client(ids[i]);
    }
  }
}

}  // namespace

int vm_shim_main(int argc, char** argv) {
  if (argc < 5) return 2;
  std::string dir = argv[2];
  int timeout_ms = std::atoi(argv[3]);
  // The pod network's tap, when the create passed one: taken before
  // anything else is opened, which would otherwise be fd 4.
  Fd tap(::fcntl(kTapFd, F_GETFD) >= 0 ? kTapFd : -1);
  char go[8] = {};
  if (::read(kControlFd, go, sizeof go) <= 0) return 1;  // the create went away before it recorded us
  int log = ::open((dir + "/vm.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log >= 0) {
    ::dup2(log, 1);
    ::dup2(log, 2);
    ::close(log);
  }
  Fd agent_listen = listen_at(dir + "/" + kAgentSocket);
  Fd clients = listen_at(dir + "/" + kVmSocket);
  if (!agent_listen || !clients) {
    report("error " + sys_error("listen in " + dir).message);
    return 1;
  }
  // virtiofsd first: QEMU connects to its socket as it starts.
  int split_at = 4;
  while (split_at < argc && std::strcmp(argv[split_at], "--") != 0) ++split_at;
  if (split_at + 1 >= argc) return 2;
  argv[split_at] = nullptr;
  pid_t fs = spawn_child(argv + 4, -1);
  std::string fs_sock = dir + "/fs.sock";
  for (int i = 0; i < 500 && fs > 0 && !path_exists(fs_sock); ++i) ::usleep(10000);
  if (fs < 0 || !path_exists(fs_sock)) {
    report("error virtiofsd (" + std::string(argv[4]) + ") did not start; see " + dir + "/vm.log");
    return 1;
  }
  pid_t qemu = spawn_child(argv + split_at + 1, tap.get());
  tap.reset();  // QEMU's alone: the tap goes away with it
  if (qemu < 0) {
    report("error " + sys_error("fork").message);
    return 1;
  }
  Shim shim(std::move(agent_listen), std::move(clients), qemu);
  auto kernel = shim.wait_ready(timeout_ms);
  if (!kernel) {
    for (pid_t child : {qemu, fs}) {
      ::kill(child, SIGKILL);
      ::waitpid(child, nullptr, 0);
    }
    report("error " + kernel.error().message);
    return 1;
  }
  report("ready " + std::to_string(qemu) + " " + *kernel);
  ::close(kControlFd);
  shim.serve();
  for (pid_t child : {qemu, fs}) {
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
  }
  return 0;
}

}  // namespace berth::vm
