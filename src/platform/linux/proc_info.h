// What `docker top` shows of a process, read from /proc.
#pragma once

#include <sys/types.h>

#include "base/result.h"
#include "platform/platform.h"

namespace berth::platform::linux_ {

// kNotFound when the process has gone.
Result<ProcessInfo> read_process_info(pid_t pid);

}  // namespace berth::platform::linux_
