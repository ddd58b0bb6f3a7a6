#include "base/result.h"

#include <cctype>
#include <cstring>

namespace berth {

std::string errno_text(int err) {
  char buf[128];
#ifdef _WIN32
  if (::strerror_s(buf, sizeof buf, err) != 0) return "error " + std::to_string(err);
  return buf;
#else
  return ::strerror_r(err, buf, sizeof buf);  // GNU's (_GNU_SOURCE): returns the text
#endif
}

Error sys_error(std::string_view what, int err) {
  // Go's errno texts are glibc's with a lowercase first letter, and clients
  // match runc's messages by them: docker's CLI exits 127 only on "no such
  // file or directory" and 126 on "permission denied", case-sensitively.
  std::string text = errno_text(err);
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return Error{err, std::string(what) + ": " + text, ErrorKind::kInternal};
}

Error invalid(std::string message) { return Error{EINVAL, std::move(message), ErrorKind::kInvalidArgument}; }

Error make_error(ErrorKind kind, std::string message) { return Error{0, std::move(message), kind}; }

namespace {
constexpr const char* kKindNames[] = {"internal",       "invalid argument", "not found",
                                      "already exists", "conflict",         "not implemented"};
}  // namespace

const char* kind_name(ErrorKind kind) { return kKindNames[static_cast<int>(kind)]; }

ErrorKind kind_from_name(std::string_view name) {
  for (int i = 0; i < 6; ++i)
    if (name == kKindNames[i]) return static_cast<ErrorKind>(i);
  return ErrorKind::kInternal;
}

}  // namespace berth
