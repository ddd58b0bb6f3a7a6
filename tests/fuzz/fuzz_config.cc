// libFuzzer: config.json through the parser and validator (oci::parse_spec),
// and the sections berth also reads alone (update --resources, the seccomp
// profile recorded for exec). Any input must give a Spec or an Error: no
// crash, no exception, no sanitizer report.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "oci/parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto spec = berth::oci::parse_spec(text);
  if (!spec && spec.error().message.empty()) __builtin_trap();  // errors must say something
  (void)berth::oci::parse_resources(text);
  (void)berth::oci::parse_seccomp(text);
  return 0;
}
