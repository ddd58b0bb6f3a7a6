// Passing file descriptors over a unix socket (SCM_RIGHTS), with data: the
// sync socket's messages, the console socket's pty master, the seccomp
// listener's fd, the shim's exec requests. One place for the cmsg bookkeeping.
#pragma once

#include <sys/types.h>

#include <span>
#include <string_view>
#include <vector>

#include "base/fd.h"
#include "base/result.h"

namespace berth {

// The most fds one message carries.
inline constexpr size_t kMaxPassedFds = 8;

// Sends data and fds (at most kMaxPassedFds) in one message (retrying EINTR).
// On a stream socket the kernel may take only part of data; the number of
// bytes sent is returned.
Result<size_t> send_with_fds(int sock, std::string_view data, std::span<const int> fds);
inline Result<size_t> send_with_fd(int sock, std::string_view data, int fd) {
  return send_with_fds(sock, data, std::span<const int>(&fd, 1));
}

// Receives one message into buf; passed fds (close-on-exec) are appended to
// fds in the order sent. Returns the data length (0 at EOF).
Result<size_t> recv_with_fds(int sock, char* buf, size_t size, std::vector<Fd>& fds);
// As recv_with_fds, keeping the last fd passed.
Result<size_t> recv_with_fd(int sock, char* buf, size_t size, Fd& fd);

}  // namespace berth
