// The console socket for a process with a terminal (create and exec).
#pragma once

#include <string>

#include "base/fd.h"
#include "base/result.h"

namespace berth::platform::linux_ {

// Connected to console_socket, or (empty path) one end of a pair whose other
// end berth keeps to proxy the pty itself. child goes to the process, parent
// stays.
struct ConsolePair {
  Fd child;
  Fd parent;
};
Result<ConsolePair> open_console(const std::string& console_socket);

}  // namespace berth::platform::linux_
