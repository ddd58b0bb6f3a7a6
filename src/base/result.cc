#include "base/result.h"

#include <cctype>
#include <cstring>

namespace berth {

Error sys_error(std::string_view what, int err) {
  // Go's errno texts are glibc's with a lowercase first letter, and clients
  // match runc's messages by them: docker's CLI exits 127 only on "no such
  // file or directory" and 126 on "permission denied", case-sensitively.
  std::string text = std::strerror(err);
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return Error{err, std::string(what) + ": " + text, ErrorKind::kInternal};
}

Error invalid(std::string message) {
  return Error{EINVAL, std::move(message), ErrorKind::kInvalidArgument};
}

Error make_error(ErrorKind kind, std::string message) {
  return Error{0, std::move(message), kind};
}

}  // namespace berth
