// The VM shim (runhcs's vmshim): one per utility VM, on the host. It owns
// the VM's QEMU process and the virtiofsd serving its share (its children,
// which die with it: PR_SET_PDEATHSIG),
// waits until the guest agent answers, and then serves the sandbox's socket
// (vm.sock in the sandbox's state directory), giving each host connection a
// channel of the agent's one serial stream (platform/vm/protocol.h). When
// QEMU exits, every connection is closed and the shim exits: each stand-in
// process sees its container's end.
#pragma once

#include <string>
#include <vector>

namespace berth::vm {

inline constexpr char kVmSocket[] = "vm.sock";
inline constexpr char kAgentSocket[] = "agent.sock";  // QEMU's chardev connects here
inline constexpr char kConsoleLog[] = "console.log";

// `berth vm-shim DIR TIMEOUT_MS VIRTIOFSD ARGS... -- QEMU ARGS...`, started by the platform with
// fd 3 a socket to it: the shim waits for "go" on it, then answers
// "ready QEMU_PID KERNEL" or "error MESSAGE". fd 4, when open, is the pod
// network's tap (pod_network.h), which QEMU gets as its fd 3.
int vm_shim_main(int argc, char** argv);

}  // namespace berth::vm
