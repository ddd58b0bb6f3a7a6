#include "platform/linux/console_pair.h"

#include <sys/socket.h>

#include "linux/console.h"

namespace berth::platform::linux_ {

Result<ConsolePair> open_console(const std::string& console_socket) {
  ConsolePair p;
  if (!console_socket.empty()) {
    auto s = lnx::connect_console_socket(console_socket);
    if (!s) return std::move(s).error();
    p.child = std::move(*s);
    return p;
  }
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0) return sys_error("socketpair");
  p.parent.reset(fds[0]);
  p.child.reset(fds[1]);
  return p;
}

}  // namespace berth::platform::linux_
