#include "linux/sync.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace berth::lnx {

namespace {

struct Header {
  uint32_t type;
  int32_t err;
};

constexpr size_t kMaxText = 16384;

}  // namespace

Result<SyncPair> make_sync_pair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
    return sys_error("socketpair");
  return SyncPair{Fd(fds[0]), Fd(fds[1])};
}

Status sync_send(int fd, SyncType type, int32_t err, std::string_view text) {
  char buf[sizeof(Header) + kMaxText];
  Header h{static_cast<uint32_t>(type), err};
  std::memcpy(buf, &h, sizeof h);
  size_t n = std::min(text.size(), kMaxText);
  // An empty view may have a null data(): memcpy from it is undefined even for 0 bytes.
  if (n > 0) std::memcpy(buf + sizeof h, text.data(), n);
  for (;;) {
    ssize_t w = ::send(fd, buf, sizeof h + n, MSG_NOSIGNAL);
    if (w >= 0) return {};
    if (errno != EINTR) return sys_error("sync send");
  }
}

Result<SyncMessage> sync_recv(int fd, const char* peer) {
  char buf[sizeof(Header) + kMaxText];
  ssize_t n;
  do {
    n = ::recv(fd, buf, sizeof buf, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return sys_error("sync receive");
  if (n == 0) return Error{EPIPE, std::string(peer) + " exited unexpectedly"};
  if (static_cast<size_t>(n) < sizeof(Header)) return Error{EPROTO, "sync: short message"};
  Header h;
  std::memcpy(&h, buf, sizeof h);
  return SyncMessage{static_cast<SyncType>(h.type), h.err,
                     std::string(buf + sizeof h, static_cast<size_t>(n) - sizeof h)};
}

Status sync_expect(int fd, SyncType want, const char* peer) {
  auto m = sync_recv(fd, peer);
  if (!m) return std::move(m).error();
  if (m->type == want) return {};
  if (m->type == SyncType::kError) return Error{m->err, std::move(m->text)};
  return Error{EPROTO, "sync: unexpected message " + std::to_string(static_cast<uint32_t>(m->type))};
}

void sync_send_error(int fd, const Error& e) {
  (void)sync_send(fd, SyncType::kError, e.code, e.message);
}

}  // namespace berth::lnx
