// berth as a utility VM's guest agent (platform/vm/agent.cc): the guest's
// init. Returns only when not run as pid 1; the VM powers off when it fails.
#pragma once

namespace berth::vm {

// berth is the initramfs's /init: main() calls this when it runs as pid 1.
int agent_main(int argc, char** argv);

}  // namespace berth::vm
