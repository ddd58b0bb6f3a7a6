// berth update: runc's flags, or a LinuxResources JSON (--resources FILE|-).
#include <unistd.h>

#include <cstring>
#include <type_traits>

#include "base/file.h"
#include "cli/command.h"
#include "oci/parse.h"
#include "runtime/commands.h"

namespace berth::cli {

namespace {

const Option kUpdateOptions[] = {
    {{"resources", "r"}, true, "LinuxResources JSON file, or - for stdin"},
    {{"blkio-weight"}, true, "block IO weight (10-1000)"},
    {{"cpu-period"}, true, "CPU CFS period in microseconds"},
    {{"cpu-quota"}, true, "CPU CFS quota in microseconds"},
    {{"cpu-burst"}, true, "CPU CFS burst in microseconds"},
    {{"cpu-share"}, true, "CPU shares (relative weight)"},
    {{"cpu-rt-period"}, true, "CPU real-time period in microseconds"},
    {{"cpu-rt-runtime"}, true, "CPU real-time runtime in microseconds"},
    {{"cpu-idle"}, true, "SCHED_IDLE for the cgroup (0 or 1)"},
    {{"cpuset-cpus"}, true, "CPUs to run on (0-3, 0,1)"},
    {{"cpuset-mems"}, true, "memory nodes to use"},
    {{"memory"}, true, "memory limit (bytes, or with k/m/g)"},
    {{"memory-reservation"}, true, "memory soft limit"},
    {{"memory-swap"}, true, "memory plus swap limit (-1: unlimited)"},
    {{"kernel-memory"}, true, "kernel memory limit (deprecated, ignored)"},
    {{"kernel-memory-tcp"}, true, "kernel TCP buffer limit"},
    {{"pids-limit"}, true, "maximum number of processes"},
    {{"l3-cache-schema"}, true, "Intel RDT L3 schema (not supported)"},
    {{"mem-bw-schema"}, true, "Intel RDT memory bandwidth schema (not supported)"},
};

// "512m", "1G", "1024", "-1" -> bytes, as Docker's RAMInBytes reads them.
Result<int64_t> parse_bytes(const std::string& flag, const std::string& text) {
  std::string s = text;
  int64_t mult = 1;
  if (!s.empty()) {
    char unit = static_cast<char>(tolower(static_cast<unsigned char>(s.back())));
    if (unit == 'b' && s.size() > 1) {
      s.pop_back();
      unit = static_cast<char>(tolower(static_cast<unsigned char>(s.back())));
    }
    const char* units = "kmgtp";
    if (const char* u = std::strchr(units, unit); u != nullptr && unit != '\0') {
      for (const char* p = units; p <= u; ++p) mult *= 1024;
      s.pop_back();
    }
  }
  int64_t v = 0;
  if (!parse_int64(s, v) || (v < 0 && v != -1) || (v > 0 && v > INT64_MAX / mult))
    return invalid(flag + ": invalid size \"" + text + "\"");
  return v == -1 ? -1 : v * mult;
}

Result<int64_t> parse_num(const std::string& flag, const std::string& text) {
  int64_t v = 0;
  if (!parse_int64(text, v)) return invalid(flag + ": invalid number \"" + text + "\"");
  return v;
}

Status apply_update_flags(const Args& a, oci::Resources& r) {
  auto num = [&](const char* name, auto& field, bool bytes = false) -> Status {
    if (!a.has(name)) return {};
    auto v = bytes ? parse_bytes(std::string("--") + name, a.get(name))
                   : parse_num(std::string("--") + name, a.get(name));
    if (!v) return std::move(v).error();
    using T = typename std::decay_t<decltype(field)>::value_type;
    if (*v < 0 && std::is_unsigned_v<T>) return invalid(std::string("--") + name + ": must not be negative");
    field = static_cast<T>(*v);
    return {};
  };
  if (a.has("l3-cache-schema") || a.has("mem-bw-schema"))
    return make_error(ErrorKind::kNotImplemented, "update: Intel RDT is not supported");
  // A group is touched only when one of its flags is given: an absent group
  // is left as it is.
  auto any = [&](std::initializer_list<const char*> names) {
    for (const char* n : names)
      if (a.has(n)) return true;
    return false;
  };
  if (any({"memory", "memory-reservation", "memory-swap", "kernel-memory", "kernel-memory-tcp"})) {
    oci::Memory& m = r.memory ? *r.memory : r.memory.emplace();
    BERTH_TRY(num("memory", m.limit, true));
    BERTH_TRY(num("memory-reservation", m.reservation, true));
    BERTH_TRY(num("memory-swap", m.swap, true));
    BERTH_TRY(num("kernel-memory", m.kernel, true));
    BERTH_TRY(num("kernel-memory-tcp", m.kernel_tcp, true));
  }
  if (any({"cpu-period", "cpu-quota", "cpu-burst", "cpu-share", "cpu-rt-period", "cpu-rt-runtime", "cpu-idle",
           "cpuset-cpus", "cpuset-mems"})) {
    oci::Cpu& c = r.cpu ? *r.cpu : r.cpu.emplace();
    BERTH_TRY(num("cpu-period", c.period));
    BERTH_TRY(num("cpu-quota", c.quota));
    BERTH_TRY(num("cpu-burst", c.burst));
    BERTH_TRY(num("cpu-share", c.shares));
    BERTH_TRY(num("cpu-rt-period", c.realtime_period));
    BERTH_TRY(num("cpu-rt-runtime", c.realtime_runtime));
    BERTH_TRY(num("cpu-idle", c.idle));
    if (a.has("cpuset-cpus")) c.cpus = a.get("cpuset-cpus");
    if (a.has("cpuset-mems")) c.mems = a.get("cpuset-mems");
  }
  if (any({"pids-limit"})) BERTH_TRY(num("pids-limit", (r.pids ? *r.pids : r.pids.emplace()).limit));
  if (any({"blkio-weight"})) BERTH_TRY(num("blkio-weight", (r.block_io ? *r.block_io : r.block_io.emplace()).weight));
  return {};
}

int run_update(Context& ctx, const Args& a) {
  oci::Resources r;
  if (a.has("resources")) {
    std::string file = a.get("resources");
    auto text = read_stream_file(file);
    if (!text) return fail(ctx, std::move(text).error().wrap("--resources"));
    auto parsed = oci::parse_resources(*text);
    if (!parsed) return fail(ctx, std::move(parsed).error().wrap("--resources " + file));
    r = std::move(*parsed);
  }
  if (auto st = apply_update_flags(a, r); !st) return fail(ctx, st.error());
  if (auto st = runtime::update(ctx.store, a.positional[0], r); !st) return fail(ctx, st.error());
  return 0;
}

}  // namespace

const Command kUpdateCommand = {
    "update",
    nullptr,
    "<container-id>",
    1,
    1,
    "change a container's resource limits",
    "Changes the resource limits of a created, running or paused container, in its cgroups and "
    "in its recorded config: from a LinuxResources JSON document (--resources FILE, or - for "
    "stdin), then from the flags, which override the document's values. Only what is given "
    "changes.",
    kUpdateOptions,
    true,
    run_update};

}  // namespace berth::cli
