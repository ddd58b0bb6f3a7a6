#include "state/id.h"

#include "oci/validate.h"

namespace berth::state {

Status validate_id(const std::string& id) {
  if (id.empty()) return invalid("container id must not be empty");
  if (id.size() > 255) return invalid("invalid container id: longer than 255 characters");
  if (id == "." || id == "..") return invalid("invalid container id " + oci::quote(id));
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '+' ||
              c == '-' || c == '.';
    if (!ok) return invalid("invalid container id " + oci::quote(id) + ": only [A-Za-z0-9_+.-] allowed");
  }
  return {};
}

}  // namespace berth::state
