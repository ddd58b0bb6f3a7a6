#include "shim/protocol.h"

#include <cstdlib>

namespace berth::shim {

std::string exit_file(std::string_view key) {
  if (key == kInitKey) return "exit.json";
  return "exit." + std::string(key) + ".json";
}

Status validate_key(std::string_view key) {
  if (key.empty() || key.size() > 128 || key == "." || key == ".." || key == kInitKey)
    return invalid("exec id \"" + std::string(key) + "\": want 1..128 characters of [A-Za-z0-9_+.-], not \"init\"");
  for (char c : key) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '+' ||
              c == '.' || c == '-';
    if (!ok) return invalid("exec id \"" + std::string(key) + "\": want characters of [A-Za-z0-9_+.-]");
  }
  return {};
}

std::vector<std::string_view> words(std::string_view msg, size_t max) {
  std::vector<std::string_view> out;
  while (!msg.empty() && out.size() + 1 < max) {
    size_t sp = msg.find(' ');
    out.push_back(msg.substr(0, sp));
    if (sp == std::string_view::npos) return out;
    msg.remove_prefix(sp + 1);
  }
  if (!msg.empty() || out.size() + 1 == max) out.push_back(msg);
  return out;
}

std::string encode_error(const Error& e) {
  return "error " + std::to_string(e.code) + " " + std::to_string(static_cast<int>(e.kind)) + " " + e.message;
}

Error decode_error(std::string_view reply) {
  auto w = words(reply, 4);
  if (w.size() < 4 || w[0] != "error") return Error{EPROTO, "shim: unexpected reply \"" + std::string(reply) + "\""};
  Error e{std::atoi(std::string(w[1]).c_str()), std::string(w[3])};
  int kind = std::atoi(std::string(w[2]).c_str());
  if (kind >= 0 && kind <= static_cast<int>(ErrorKind::kNotImplemented)) e.kind = static_cast<ErrorKind>(kind);
  return e;
}

}  // namespace berth::shim
