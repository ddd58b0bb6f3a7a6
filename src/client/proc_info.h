// What `docker top` shows of a process, read from /proc.
#pragma once

#include <sys/types.h>

#include "base/result.h"
#include "berth/berth.h"

namespace berth::client {

// kNotFound when the process has gone.
Result<libberth::ProcessInfo> read_process_info(pid_t pid);

}  // namespace berth::client
