// libberth's names for its codes, statuses and events: the same in the
// Linux library and the Windows one (src/windows/library.cc).
#include <string>

#include "berth/berth.h"

namespace libberth {

std::string Status::to_string() const {
  static const char* const kNames[] = {"ok",       "invalid argument", "not found", "already exists",
                                       "conflict", "not implemented",  "internal"};
  std::string s = kNames[static_cast<int>(code_)];
  return message_.empty() ? s : s + ": " + message_;
}

const char* status_name(TaskStatus s) {
  static const char* const kNames[] = {"created", "running", "paused", "stopped"};
  return kNames[static_cast<int>(s)];
}

const char* event_name(EventType t) {
  static const char* const kNames[] = {"create", "start",   "exec-added", "exec-started",
                                       "paused", "resumed", "oom",        "exit"};
  return kNames[static_cast<int>(t)];
}

}  // namespace libberth
