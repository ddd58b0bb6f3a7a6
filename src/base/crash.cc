#include "base/crash.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>

#ifdef BERTH_CRASH_POINTS

namespace berth {

void crash_point(std::string_view name, std::string_view detail) {
  const char* at = ::getenv("BERTH_CRASH_AT");
  if (at == nullptr) return;
  std::string full(name);
  if (!detail.empty()) full.append(":").append(detail);
  if (full != at) return;
  std::string msg = "berth: crash point " + full + "\n";
  (void)!::write(2, msg.data(), msg.size());
  ::kill(::getpid(), SIGKILL);
  // The init of a pid namespace ignores its own SIGKILL: it just dies.
  ::_exit(137);
}

}  // namespace berth

#endif  // BERTH_CRASH_POINTS
