// Process attributes of a runtime-spec Process beyond ids and limits:
// personality, I/O priority, scheduler, CPU affinity, session keyring.
#pragma once

#include <string>

#include "base/result.h"
#include "oci/spec.h"

namespace berth::lnx {

// linux.personality: the execution domain (LINUX or LINUX32).
Status set_personality(const oci::Personality& p);

// process.ioPriority: ioprio_set(IOPRIO_WHO_PROCESS, self, class/priority).
Status set_io_priority(const oci::IoPriority& io);

// process.scheduler: sched_setattr(2) with the policy, nice, priority,
// flags and the SCHED_DEADLINE parameters.
Status set_scheduler(const oci::Scheduler& s);

// A cpu list ("0-3,7") as the affinity of the calling process.
Status set_cpu_affinity(const std::string& cpus, const char* field);

// A new session keyring named name (like runc's "_ses.<id>"), so the
// container does not share the caller's keys. ENOSYS (no keyrings) is fine.
Status join_session_keyring(const std::string& name);

}  // namespace berth::lnx
