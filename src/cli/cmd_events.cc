// berth events: runc's event stream. Every --interval a stats event, an oom
// event whenever the kernel's OOM killer hit the container, until it stops;
// --stats prints one stats event and exits.
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>

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
      // berth counts in milliseconds: anything shorter is one.
      if (end && *end == '\0' && v > 0) return std::max<int64_t>(1, static_cast<int64_t>(v * scale));
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
  auto sources = runtime::event_sources(ctx.store, id);
  if (!sources) return sources.error().kind == ErrorKind::kConflict ? 0 : fail(ctx, sources.error());
  auto& watch = sources->oom;
  auto& init = sources->init;
  auto oom = [&] { print({{"type", "oom"}, {"id", id}}); };
  // Reads the watch: false once it is over (the container's end).
  auto check = [&] {
    auto seen = watch->check();
    if (seen.oom) oom();
    if (seen.gone) watch.reset();
    return watch != nullptr;
  };
  // The count the first reading had: a kill between it and the watch's
  // start is told by the next reading (then the watch tells the rest).
  uint64_t ooms = first->oom_kills;
  bool watch_started = false;
  auto next_stats = std::chrono::steady_clock::now();  // a stats event right away
  constexpr int kTickMs = 100;                         // without a watch: how often the OOM kill count is read
  for (;;) {
    auto now = std::chrono::steady_clock::now();
    if (now >= next_stats || !watch) {
      auto s = runtime::stats(ctx.store, id);
      if (!s) return s.error().kind == ErrorKind::kConflict ? 0 : fail(ctx, s.error());
      if ((!watch || !watch_started) && s->oom_kills > ooms) oom();
      ooms = s->oom_kills;
      watch_started = true;
      if (now >= next_stats) {
        print(stats_event(id, *s));
        next_stats = now + std::chrono::milliseconds(*interval);
      }
    }
    auto until_stats = std::chrono::duration_cast<std::chrono::milliseconds>(next_stats - now).count();
    int64_t wait_ms = std::min<int64_t>(watch ? until_stats : kTickMs, until_stats);
    int timeout = static_cast<int>(std::clamp<int64_t>(wait_ms, 0, INT_MAX));
    struct pollfd fds[2] = {{init->exit_fd(), POLLIN, 0}, {watch ? watch->fd() : -1, POLLIN, 0}};
    if (::poll(fds, 2, timeout) < 0 && errno != EINTR) return fail(ctx, sys_error("poll"));
    if (watch && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0) (void)check();
    if ((fds[0].revents & POLLIN) != 0) {
      // The init has ended: what the watch still has to say (an OOM kill
      // that ended it; a VM's comes through the guest a moment later), then
      // the stream ends.
      for (auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(2);
           watch && std::chrono::steady_clock::now() < give_up;) {
        struct pollfd last = {watch->fd(), POLLIN, 0};
        if (::poll(&last, 1, 300) <= 0 || !check()) break;
      }
      return 0;
    }
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
