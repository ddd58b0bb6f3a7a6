// Crash points, for tests only: in a build with -DBERTH_CRASH_POINTS=ON,
// `BERTH_CRASH_AT=<name>` makes berth SIGKILL itself when it reaches the
// point of that name, so tests can check that whatever a crash leaves behind
// is still found, reported and removed by `state`, `list` and `delete --force`.
// Other builds compile every point to nothing.
#pragma once

#include <string_view>

namespace berth {

#ifdef BERTH_CRASH_POINTS
// Writes "berth: crash point <name>" to stderr and SIGKILLs the calling
// process when BERTH_CRASH_AT names this point. `detail` is appended after a
// colon ("create:cgroup" + "memory" -> "create:cgroup:memory").
void crash_point(std::string_view name, std::string_view detail = {});
#else
inline void crash_point(std::string_view, std::string_view = {}) {}
#endif

}  // namespace berth
