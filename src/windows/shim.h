// The Windows container shim: `berth.exe shim <id>`, one per container,
// started by `create` (runhcs's `shim`). It holds what HCS gives only to the
// process that asked: the init process, created at `start` (HCS has no
// parked init), its stdio pipes (copied to and from the shim's own stdio,
// which were create's), and its exit, which it records.
//
// It serves one request at a time on its named pipe (Store::pipe_name), one
// line each way:
//   start      -> "ok <pid>": the init is created and running
//   kill <sig> -> "ok": KILL terminates the compute system, any other signal
//                 shuts it down (seed 003's mapping for a container's init);
//                 a shutdown still going after a second goes on by itself
//   error replies are "error <message>".
// The caller holds the container's lock for the request, so the shim writes
// the record under it; the exit, which comes by itself, takes the lock.
#pragma once

#include <string>

#include "base/result.h"
#include "windows/store.h"

namespace berth::win {

// The shim's main: runs until the init has exited and its exit is recorded,
// or the system is killed before a start. ready is the write end of a pipe
// (inherited; nullptr: none) on which the shim says "ok" once it serves its
// named pipe, or "error <why>" when it cannot.
int run_shim(const Store& store, const std::string& id, HANDLE ready);

// One request to the shim of id; the reply after "ok" ("" for none).
Result<std::string> call_shim(const Store& store, const std::string& id, const std::string& request);

}  // namespace berth::win
