#include "base/log.h"

namespace berth {

namespace {
DebugSink g_sink = nullptr;
}  // namespace

void set_debug_sink(DebugSink sink) { g_sink = sink; }

bool debug_enabled() { return g_sink != nullptr; }

void log_debug(const std::string& msg) {
  if (g_sink) g_sink(msg);
}

}  // namespace berth
