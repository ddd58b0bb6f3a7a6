#include "base/result.h"

#include <cstring>

namespace berth {

Error sys_error(std::string_view what, int err) {
  return Error{err, std::string(what) + ": " + std::strerror(err), ErrorKind::kInternal};
}

Error invalid(std::string message) {
  return Error{EINVAL, std::move(message), ErrorKind::kInvalidArgument};
}

Error make_error(ErrorKind kind, std::string message) {
  return Error{0, std::move(message), kind};
}

}  // namespace berth
