// The seccomp user-space notification hand-off of runtime-spec 1.2: when a
// profile has SCMP_ACT_NOTIFY rules, the runtime connects to the spec's
// listenerPath and sends, in one message, the ContainerProcessState JSON
// ({"ociVersion", "fds": ["seccompFd"], "pid", "metadata", "state"}) and the
// listener fd (SCM_RIGHTS). A seccomp agent then answers the process's
// notified system calls.
#pragma once

#include <sys/types.h>

#include <string>

#include "base/result.h"
#include "linux/sync.h"
#include "oci/spec.h"

namespace berth::platform::linux_ {

// The message for the listener: state_json is the container's OCI state.
std::string container_process_state(const std::string& state_json, pid_t pid, const std::string& metadata);

// Connects to s.listener_path and sends the state and fd. The error names
// linux.seccomp.listenerPath.
Status send_seccomp_listener(const oci::Seccomp& s, const std::string& state_json, pid_t pid, int fd);

// sync_recv() that passes kSeccompListener fds on to the listener (s) and
// returns the next other message.
Result<lnx::SyncMessage> sync_recv_passing_listener(int sync, const char* peer, const oci::Seccomp* s,
                                                    const std::string& state_json, pid_t pid);

}  // namespace berth::platform::linux_
