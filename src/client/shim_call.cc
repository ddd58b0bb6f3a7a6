#include "client/shim_call.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <cstdlib>
#include <cstring>

#include "base/scm_rights.h"
#include "shim/protocol.h"

namespace berth::client {

Result<Fd> shim_connect(int dirfd) {
  Fd s(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!s) return sys_error("shim: socket");
  std::string path = "/proc/self/fd/" + std::to_string(dirfd) + "/" + shim::kSocketFile;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  while (::connect(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
    if (errno == EINTR) continue;
    Error e = sys_error("connect to the shim");
    // No socket, or nobody listening: the shim has gone.
    if (errno == ENOENT || errno == ECONNREFUSED) e.kind = ErrorKind::kNotFound;
    return e;
  }
  return s;
}

Result<std::string> shim_call(int dirfd, std::string_view request, std::span<const int> fds) {
  auto s = shim_connect(dirfd);
  if (!s) return std::move(s).error();
  if (auto r = send_with_fds(s->get(), request, fds); !r) return std::move(r).error().wrap("shim");
  std::string buf(4096, '\0');
  ssize_t n;
  do {
    n = ::recv(s->get(), buf.data(), buf.size(), 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return sys_error("shim: recv");
  if (n == 0) return make_error(ErrorKind::kNotFound, "shim: exited before it answered");
  buf.resize(static_cast<size_t>(n));
  if (buf.rfind("error ", 0) == 0) return shim::decode_error(buf);
  return buf;
}

std::optional<libberth::ExitStatus> parse_exit(std::string_view reply) {
  auto w = shim::words(reply, 5);
  if (w.size() != 5 || w[0] != "exit") return std::nullopt;
  libberth::ExitStatus e;
  e.pid = std::atoi(std::string(w[1]).c_str());
  e.exit_code = std::atoi(std::string(w[2]).c_str());
  e.signal = std::atoi(std::string(w[3]).c_str());
  e.exited_at = std::string(w[4]);
  return e;
}

}  // namespace berth::client
