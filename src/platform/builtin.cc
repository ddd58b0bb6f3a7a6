#include "platform/builtin.h"

#include "platform/linux/container.h"
#include "platform/platform.h"
#include "platform/vm/container.h"

namespace berth::platform {

void register_builtin() {
  static linux_::LinuxPlatform linux_platform;  // native: the first one added
  registry().add(&linux_platform);
  static vm::VmPlatform vm_platform;
  registry().add(&vm_platform);
}

}  // namespace berth::platform
