// process.terminal: the pty master over --console-socket (runc's protocol:
// one SCM_RIGHTS message, no reply), consoleSize, and berth's own pty proxy
// for run/exec in the foreground.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "harness.h"

namespace berth::test {
namespace {

// A console socket like containerd's: listens, accepts one connection and
// receives the master fd.
class ConsoleReceiver {
 public:
  explicit ConsoleReceiver(const std::string& path) : path_(path) {
    listen_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    EXPECT_EQ(::bind(listen_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << path;
    ::listen(listen_, 1);
    thread_ = std::thread([this] { master_ = receive(); });
  }
  ~ConsoleReceiver() {
    if (thread_.joinable()) {
      ::shutdown(listen_, SHUT_RDWR);
      thread_.join();
    }
    ::close(listen_);
    if (master_ >= 0) ::close(master_);
  }
  int master() {
    if (thread_.joinable()) thread_.join();
    return master_;
  }

 private:
  int receive() {
    int conn = ::accept4(listen_, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) return -1;
    char buf[256];
    char control[CMSG_SPACE(sizeof(int))] = {};
    struct iovec iov = {buf, sizeof buf};
    struct msghdr msg = {};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    int fd = -1;
    if (::recvmsg(conn, &msg, MSG_CMSG_CLOEXEC) > 0) {
      struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
      if (c && c->cmsg_type == SCM_RIGHTS) std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
    }
    ::close(conn);
    return fd;
  }
  std::string path_;
  int listen_ = -1;
  int master_ = -1;
  std::thread thread_;
};

// Reads from fd until text appears or 10 s pass.
std::string read_until(int fd, const std::string& text) {
  std::string out;
  for (int i = 0; i < 100 && out.find(text) == std::string::npos; ++i) {
    struct pollfd p = {fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buf[4096];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

using Terminal = BerthTest;

TEST_F(Terminal, ConsoleSocketReceivesAWorkingMasterOfTheRightSize) {
  config_["process"]["terminal"] = true;
  config_["process"]["consoleSize"] = {{"height", 40}, {"width", 100}};
  set_args({"/bin/sh"});
  ConsoleReceiver console(tmp_ + "/console.sock");
  RunResult c = berth({"create", "--bundle", bundle_, "--console-socket", tmp_ + "/console.sock", "tty"});
  ASSERT_EQ(c.code, 0) << c.err;
  int master = console.master();
  ASSERT_GE(master, 0);
  ASSERT_EQ(berth({"start", "tty"}).code, 0);
  std::string cmd = "stty size; tty; echo done-$((6*7))\n";
  ASSERT_EQ(::write(master, cmd.data(), cmd.size()), static_cast<ssize_t>(cmd.size()));
  std::string out = read_until(master, "done-42");
  EXPECT_NE(out.find("40 100"), std::string::npos) << out;
  EXPECT_NE(out.find("/dev/pts/0"), std::string::npos) << out;
  EXPECT_NE(out.find("done-42"), std::string::npos) << out;
  // /dev/console is the same terminal.
  std::string cmd2 = "[ /dev/console -ef /dev/pts/0 ] && echo same-$((10+1)); echo fin-$((1+1))\n";
  ::write(master, cmd2.data(), cmd2.size());
  std::string out2 = read_until(master, "fin-2");
  EXPECT_NE(out2.find("same-11"), std::string::npos) << out2;
}

TEST_F(Terminal, DetachedTerminalWithoutConsoleSocketIsRefused) {
  config_["process"]["terminal"] = true;
  write_config();
  RunResult c = berth({"create", "--bundle", bundle_, "notty"});
  EXPECT_EQ(c.code, 1);
  if (runtime_is_berth()) {
    EXPECT_NE(c.err.find("console-socket"), std::string::npos) << c.err;
  }
  EXPECT_FALSE(exists(root_ + "/notty"));
}

// The runtime in a terminal of its own (script's pty), as a user runs it.
TEST_F(Terminal, ForegroundRunInATerminalProxiesThePty) {
  config_["process"]["terminal"] = true;
  set_args({"/bin/sh", "-c", "tty; exit 4"});
  RunResult r = run_cmd(
      {"/usr/bin/script", "-qec", runtime() + " --root " + root_ + " run --bundle " + bundle_ + " fg", "/dev/null"});
  EXPECT_EQ(r.code, 4) << r.out;
  EXPECT_NE(r.out.find("/dev/pts/0"), std::string::npos) << r.out;
}

TEST_F(Terminal, ForegroundRunProxiesThePty) {
  // runc 1.1.5 needs a terminal of its caller ("open /dev/tty: no such
  // device or address"); berth proxies from plain pipes too.
  BERTH_ONLY("berth proxies a pty for a foreground run whose caller has no terminal");
  config_["process"]["terminal"] = true;
  config_["process"]["consoleSize"] = {{"height", 33}, {"width", 77}};
  set_args({"/bin/sh", "-c", "tty; stty size; exit 4"});
  RunResult r = berth({"run", "--bundle", bundle_, "fg"});
  EXPECT_EQ(r.code, 4) << r.err;
  EXPECT_NE(r.out.find("/dev/pts/0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("33 77"), std::string::npos) << r.out;
}

TEST_F(Terminal, ExecWithTtyAndConsoleSocket) {
  set_args({"/bin/probe", "sleep"});
  ASSERT_EQ(berth({"run", "-d", "--bundle", bundle_, "ex"}).code, 0);
  ConsoleReceiver console(tmp_ + "/exec.sock");
  RunResult e = berth({"exec", "-t", "-d", "--console-socket", tmp_ + "/exec.sock", "ex", "/bin/sh"});
  ASSERT_EQ(e.code, 0) << e.err;
  int master = console.master();
  ASSERT_GE(master, 0);
  std::string cmd = "tty; echo ok-$((2+3))\n";
  ::write(master, cmd.data(), cmd.size());
  std::string out = read_until(master, "ok-5");
  EXPECT_NE(out.find("/dev/pts/"), std::string::npos) << out;
  EXPECT_NE(out.find("ok-5"), std::string::npos) << out;
  // Foreground exec -t without a socket, in a terminal: the runtime proxies.
  RunResult in_tty = run_cmd({"/usr/bin/script", "-qec",
                              runtime() + " --root " + root_ + " exec -t ex /bin/sh -c 'tty; exit 3'", "/dev/null"});
  EXPECT_EQ(in_tty.code, 3) << in_tty.out;
  EXPECT_NE(in_tty.out.find("/dev/pts/"), std::string::npos) << in_tty.out;
  // ... and without a terminal of the caller's: berth proxies still, runc
  // 1.1.5 fails ("open /dev/tty").
  BERTH_ONLY("berth proxies a pty for a foreground exec whose caller has no terminal");
  RunResult fg = berth({"exec", "-t", "ex", "/bin/sh", "-c", "tty; exit 3"});
  EXPECT_EQ(fg.code, 3) << fg.err;
  EXPECT_NE(fg.out.find("/dev/pts/"), std::string::npos) << fg.out;
}

}  // namespace
}  // namespace berth::test
