// berth events: runc's event stream. Every --interval a stats event, an oom
// event whenever the kernel's OOM killer hit the container, until it stops;
// --stats prints one stats event and exits.
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "base/file.h"
#include "cli/command.h"
#include "runtime/commands.h"

namespace berth::cli {

namespace {

using nlohmann::ordered_json;

const Option kEventsOptions[] = {
    {{"interval"}, true, "time between stats events (default 5s; e.g. 500ms, 2s, 1m)"},
    {{"stats"}, false, "print one stats event and exit"},
};

// Go duration strings as runc takes them: "5s", "500ms", "1m", "1.5s".
Result<int64_t> parse_duration_ms(const std::string& text) {
  static const std::pair<const char*, double> kUnits[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
  for (auto [unit, scale] : kUnits) {
    std::string u = unit;
    if (text.size() > u.size() && text.compare(text.size() - u.size(), u.size(), u) == 0) {
      std::string n = text.substr(0, text.size() - u.size());
      char* end = nullptr;
      double v = std::strtod(n.c_str(), &end);
      if (end && *end == '\0' && v > 0) return static_cast<int64_t>(v * scale);
    }
  }
  return invalid("--interval: invalid duration \"" + text + "\" (e.g. 5s, 500ms)");
}

ordered_json stats_event(const std::string& id, const platform::Stats& s) {
  ordered_json raw = s.memory_raw;
  ordered_json data = {
      {"cpu", {{"usage", {{"total", s.cpu_usage_ns}, {"kernel", s.cpu_system_ns}, {"user", s.cpu_user_ns}}}}},
      {"memory",
       {{"cache", s.memory_cache},
        {"usage",
         {{"limit", s.memory_limit},
          {"usage", s.memory_usage},
          {"max", s.memory_max_usage},
          {"failcnt", s.memory_failcnt}}},
        {"swap", {{"limit", s.swap_limit}, {"usage", s.swap_usage}}},
        {"raw", raw}}},
      {"pids", {{"current", s.pids_current}, {"limit", s.pids_limit}}},
      {"blkio", ordered_json::object()},
      {"hugetlb", ordered_json::object()},
  };
  return {{"type", "stats"}, {"id", id}, {"data", data}};
}

void print(const ordered_json& j) {
  std::string line = j.dump() + "\n";
  (void)!::write(1, line.data(), line.size());
}

int run_events(Context& ctx, const Args& a) {
  const std::string& id = a.positional[0];
  auto interval = parse_duration_ms(a.get("interval", "5s"));
  if (!interval) return fail(ctx, interval.error());
  auto first = runtime::stats(ctx.store, id);
  if (!first) return fail(ctx, first.error());
  if (a.flag("stats")) {
    print(stats_event(id, *first));
    return 0;
  }
  uint64_t ooms = first->oom_kills;
  int64_t since_stats = *interval;  // a stats event right away
  constexpr int64_t kTick = 100;    // how often OOM kills are looked for
  for (;;) {
    auto s = runtime::stats(ctx.store, id);
    if (!s) return s.error().kind == ErrorKind::kConflict ? 0 : fail(ctx, s.error());
    if (s->oom_kills > ooms) print({{"type", "oom"}, {"id", id}});
    ooms = s->oom_kills;
    if (since_stats >= *interval) {
      print(stats_event(id, *s));
      since_stats = 0;
    }
    ::usleep(static_cast<useconds_t>(kTick * 1000));
    since_stats += kTick;
  }
}

}  // namespace

const Command kEventsCommand = {
    "events",
    nullptr,
    "<container-id>",
    1,
    1,
    "print stats and OOM events of a container",
    "Prints the container's events as JSON lines until it stops: a stats event every "
    "--interval (cpu, memory, pids), and an oom event each time the kernel's OOM killer acts "
    "in its cgroup. With --stats: one stats event, then exit.",
    kEventsOptions,
    true,
    run_events};

}  // namespace berth::cli
