// libFuzzer: base/json_view, the reader of state.json, against nlohmann.
// Both must accept the same texts, and what json_view walks must be the
// value nlohmann parsed.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "base/json_view.h"

namespace {

nlohmann::json rebuild(berth::json::View v) {
  using berth::json::Type;
  switch (v.type()) {
    case Type::kNull: return nullptr;
    case Type::kTrue: return true;
    case Type::kFalse: return false;
    case Type::kString: return v.str();
    case Type::kNumber: return nlohmann::json::parse(v.text(), nullptr, false);
    case Type::kArray: {
      auto out = nlohmann::json::array();
      berth::json::Elements e(v);
      berth::json::View x;
      while (e.next(x)) out.push_back(rebuild(x));
      return out;
    }
    case Type::kObject: {
      auto out = nlohmann::json::object();
      berth::json::Members m(v);
      std::string key;
      berth::json::View x;
      while (m.next(key, x)) out[key] = rebuild(x);
      return out;
    }
  }
  __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto ours = berth::json::parse(text);
  // nlohmann stops reading at a NUL byte ("{}\0junk" passes); json_view
  // rejects the junk, as RFC 8259 does. Only the rest is compared.
  if (text.find('\0') != std::string_view::npos) return 0;
  bool theirs = nlohmann::json::accept(text);
  if (static_cast<bool>(ours) != theirs) __builtin_trap();
  if (!ours) return 0;
  // Deep nesting makes nlohmann's recursive destructor the limit, not ours.
  if (size > 4096) return 0;
  // nlohmann accepts 1e99999 by the grammar but will not parse it (overflow).
  nlohmann::json expected = nlohmann::json::parse(text, nullptr, false);
  if (expected.is_discarded()) return 0;
  if (rebuild(*ours) != expected) __builtin_trap();
  return 0;
}
