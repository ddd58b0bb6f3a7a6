// `run` and `exec` without --detach: berth stays as the process's parent,
// forwards the signals it gets, proxies a terminal, and returns how the
// process ended. Written over platform::Process: the same for every platform.
#pragma once

#include "platform/platform.h"

namespace berth::runtime {

// Blocks every signal, so the waits below take them all synchronously. Call
// before the process is created: it inherits the mask and resets it before
// execve.
void block_signals();

// Forwards each signal berth receives to p until p exits, reaping other
// children on the way (berth is a subreaper); returns p's wait status.
int wait_forwarding_signals(platform::Process& p);

// Copies berth's stdin to the pty master and the master to berth's stdout
// until p exits, with the caller's terminal in raw mode and its size
// mirrored (SIGWINCH); other signals are forwarded to p. Returns p's wait
// status. Signals must be blocked (block_signals()).
int proxy_pty(int master, platform::Process& p);

}  // namespace berth::runtime
