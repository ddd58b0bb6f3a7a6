// libFuzzer: state.json as a user may have edited it (state::decode_state).
// Whatever decodes must encode and decode again to the same state.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "state/store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto st = berth::state::decode_state(text);
  if (!st) return 0;
  std::string again = berth::state::encode_state(*st);
  auto back = berth::state::decode_state(again);
  if (!back || berth::state::encode_state(*back) != again) __builtin_trap();
  return 0;
}
