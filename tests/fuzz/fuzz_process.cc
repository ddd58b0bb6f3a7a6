// libFuzzer: a process.json (`exec -p`) through oci::parse_process.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "oci/parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto p = berth::oci::parse_process(text);
  if (!p && p.error().message.empty()) __builtin_trap();
  return 0;
}
