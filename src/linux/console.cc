#include "linux/console.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>

#include "base/file.h"
#include "base/scm_rights.h"
#include "linux/mounts.h"

namespace berth::lnx {

Result<Fd> connect_console_socket(const std::string& path) {
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return invalid("--console-socket: path too long: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  Fd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock) return sys_error("socket");
  if (::connect(sock.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) < 0)
    return sys_error("connect to console socket " + path);
  return sock;
}

namespace {

Status send_fd(int sock, int fd, const std::string& name) {
  if (auto r = send_with_fd(sock, name, fd); !r) return std::move(r).error().wrap("send pty master to console socket");
  return {};
}

// A fresh, empty /dev/console to bind the pty on. Whatever the image has
// there is removed first: a symlink would lead the bind mount onto its
// target (into /proc, say, before masked and read-only paths are applied:
// the CVE-2025-52565 class), so the file is created with O_EXCL|O_NOFOLLOW.
Result<Fd> make_console_file(int root) {
  auto dev = make_in_root(root, "/dev", false, 0755);
  if (!dev) return std::move(dev).error().wrap("create /dev/console");
  Fd dir(::openat(dev->get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir) return sys_error("open /dev").wrap("create /dev/console");
  if (::unlinkat(dir.get(), "console", 0) < 0 && errno != ENOENT)
    return sys_error("remove the image's /dev/console").wrap("create /dev/console");
  Fd file(::openat(dir.get(), "console", O_CREAT | O_EXCL | O_NOFOLLOW | O_RDONLY | O_CLOEXEC, 0600));
  if (!file) return sys_error("create /dev/console");
  return file;
}

}  // namespace

Status setup_terminal(int console_sock, const std::optional<oci::ConsoleSize>& size, bool console) {
  Fd master(::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!master) return sys_error("process.terminal: open /dev/ptmx in the container");
  if (::unlockpt(master.get()) < 0) return sys_error("unlockpt");
  // TIOCGPTPEER opens the slave through the master: no path lookup that a
  // process in the container could race.
  Fd slave(::ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!slave) return sys_error("open pty slave");
  if (size) {
    struct winsize ws = {};
    ws.ws_row = static_cast<unsigned short>(size->height);
    ws.ws_col = static_cast<unsigned short>(size->width);
    if (::ioctl(slave.get(), TIOCSWINSZ, &ws) < 0) return sys_error("set console size");
  }
  if (console) {
    auto root = open_file("/", O_PATH | O_DIRECTORY);
    if (!root) return std::move(root).error();
    auto target = make_console_file(root->get());
    if (!target) return std::move(target).error();
    if (::mount(fd_path(slave.get()).c_str(), fd_path(target->get()).c_str(), nullptr, MS_BIND, nullptr) < 0)
      return sys_error("bind pty on /dev/console");
  }
  BERTH_TRY(send_fd(console_sock, master.get(), "/dev/ptmx"));
  master.reset();
  if (::setsid() < 0) return sys_error("setsid");
  if (::ioctl(slave.get(), TIOCSCTTY, 0) < 0) return sys_error("make the pty the controlling terminal");
  for (int fd = 0; fd < 3; ++fd)
    if (::dup2(slave.get(), fd) < 0) return sys_error("dup2 pty slave");
  return {};
}

Result<Fd> recv_pty_master(int console_sock) {
  char name[256];
  Fd master;
  auto n = recv_with_fd(console_sock, name, sizeof name, master);
  if (!n) return std::move(n).error().wrap("receive pty master");
  if (!master) return Error{EPROTO, "no pty master received"};
  return master;
}

}  // namespace berth::lnx
