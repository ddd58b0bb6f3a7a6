// The library's side of the shim's control socket (shim/protocol.h).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/fd.h"
#include "base/result.h"
#include "berth/berth.h"

namespace berth::client {

// A connection to the shim of the container whose state directory dirfd is.
Result<Fd> shim_connect(int dirfd);

// One request and its reply; an "error ..." reply comes back as its Error.
Result<std::string> shim_call(int dirfd, std::string_view request, std::span<const int> fds = {});

// "exit <pid> <code> <signal> <at>"
std::optional<libberth::ExitStatus> parse_exit(std::string_view reply);

}  // namespace berth::client
