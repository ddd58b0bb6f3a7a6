// Passing a file descriptor over a unix socket (SCM_RIGHTS), with data: the
// sync socket's messages, the console socket's pty master, the seccomp
// listener's fd. One place for the cmsg bookkeeping.
#pragma once

#include <sys/types.h>

#include <string_view>

#include "base/fd.h"
#include "base/result.h"

namespace berth {

// Sends data and fd in one message (retrying EINTR). On a stream socket the
// kernel may take only part of data; the number of bytes sent is returned.
Result<size_t> send_with_fd(int sock, std::string_view data, int fd);

// Receives one message into buf; a passed fd (close-on-exec) goes to fd.
// Returns the data length (0 at EOF).
Result<size_t> recv_with_fd(int sock, char* buf, size_t size, Fd& fd);

}  // namespace berth
