#include "base/scm_rights.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace berth {

Result<size_t> send_with_fds(int sock, std::string_view data, std::span<const int> fds) {
  if (fds.size() > kMaxPassedFds) return make_error(ErrorKind::kInvalidArgument, "sendmsg: too many fds");
  char control[CMSG_SPACE(sizeof(int) * kMaxPassedFds)] = {};
  iovec iov{const_cast<char*>(data.data()), data.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (!fds.empty()) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  for (;;) {
    ssize_t n = ::sendmsg(sock, &msg, MSG_NOSIGNAL);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) return sys_error("sendmsg");
  }
}

Result<size_t> recv_with_fds(int sock, char* buf, size_t size, std::vector<Fd>& fds) {
  char control[CMSG_SPACE(sizeof(int) * kMaxPassedFds)] = {};
  iovec iov{buf, size};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return sys_error("recvmsg");
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int received;
      std::memcpy(&received, CMSG_DATA(c) + i * sizeof(int), sizeof received);
      fds.emplace_back(received);
    }
  }
  return static_cast<size_t>(n);
}

Result<size_t> recv_with_fd(int sock, char* buf, size_t size, Fd& fd) {
  std::vector<Fd> fds;
  auto n = recv_with_fds(sock, buf, size, fds);
  if (n && !fds.empty()) fd = std::move(fds.back());
  return n;
}

}  // namespace berth
