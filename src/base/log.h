// berth's debug log: what it does, step by step (--debug). The command line
// installs a sink (cli/log.h); without one (libberth, tests) debug lines go
// nowhere. Safe in the container's init between clone and execve (no
// threads; the sink writes to an fd it already holds). Call sites use
// BERTH_DEBUG, which builds the message only when the log is on: the create
// path pays nothing for it otherwise.
#pragma once

#include <string>

namespace berth {

using DebugSink = void (*)(const std::string& msg);

// nullptr turns the debug log off.
void set_debug_sink(DebugSink sink);
bool debug_enabled();
void log_debug(const std::string& msg);

}  // namespace berth

#define BERTH_DEBUG(msg)                                   \
  do {                                                     \
    if (::berth::debug_enabled()) ::berth::log_debug(msg); \
  } while (0)
