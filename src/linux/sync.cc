#include "linux/sync.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "base/scm_rights.h"

namespace berth::lnx {

namespace {

struct Header {
  uint32_t type;
  int32_t err;
  uint32_t kind;  // ErrorKind of a kError
};

constexpr size_t kMaxText = 16384;

}  // namespace

Result<SyncPair> make_sync_pair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0) return sys_error("socketpair");
  return SyncPair{Fd(fds[0]), Fd(fds[1])};
}

Status sync_send(int fd, SyncType type, int32_t err, std::string_view text, ErrorKind kind) {
  char buf[sizeof(Header) + kMaxText];
  Header h{static_cast<uint32_t>(type), err, static_cast<uint32_t>(kind)};
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

Status sync_send_fd(int sock, SyncType type, int fd) {
  Header h{static_cast<uint32_t>(type), 0, 0};
  auto r = send_with_fd(sock, std::string_view(reinterpret_cast<const char*>(&h), sizeof h), fd);
  if (!r) return std::move(r).error().wrap("sync send");
  return {};
}

Result<SyncMessage> sync_recv(int fd, const char* peer) {
  char buf[sizeof(Header) + kMaxText];
  Fd passed;
  auto got = recv_with_fd(fd, buf, sizeof buf, passed);
  // A peer that exited with our last message unread (an init failing before
  // it read kCgroups) makes the next recv fail ECONNRESET even though its
  // error message is queued: the error is reported once, so read again.
  if (!got && got.error().code == ECONNRESET) got = recv_with_fd(fd, buf, sizeof buf, passed);
  if (!got) return std::move(got).error().wrap("sync receive");
  size_t n = *got;
  if (n == 0) return Error{EPIPE, std::string(peer) + " exited unexpectedly"};
  if (n < sizeof(Header)) return Error{EPROTO, "sync: short message"};
  Header h;
  std::memcpy(&h, buf, sizeof h);
  ErrorKind kind = h.kind <= static_cast<uint32_t>(ErrorKind::kNotImplemented) ? static_cast<ErrorKind>(h.kind)
                                                                               : ErrorKind::kInternal;
  return SyncMessage{static_cast<SyncType>(h.type), h.err, std::string(buf + sizeof h, n - sizeof h), std::move(passed),
                     kind};
}

Status sync_expect(int fd, SyncType want, const char* peer) {
  auto m = sync_recv(fd, peer);
  if (!m) return std::move(m).error();
  if (m->type == want) return {};
  if (m->type == SyncType::kError) return std::move(*m).as_error();
  return Error{EPROTO, "sync: unexpected message " + std::to_string(static_cast<uint32_t>(m->type))};
}

void sync_send_error(int fd, const Error& e) { (void)sync_send(fd, SyncType::kError, e.code, e.message, e.kind); }

}  // namespace berth::lnx
