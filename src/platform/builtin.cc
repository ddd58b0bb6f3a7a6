#include "platform/builtin.h"

#include "platform/linux/container.h"
#include "platform/platform.h"

namespace berth::platform {

void register_builtin() {
  static linux_::LinuxPlatform linux_platform;  // native: the first one added
  registry().add(&linux_platform);
}

}  // namespace berth::platform
