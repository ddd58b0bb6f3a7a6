// berth ps: the container's processes, as runc prints them: a JSON array of
// host pids, or ps(1)'s table (with the caller's ps options) cut down to the
// container's pids.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/file.h"
#include "cli/command.h"
#include "runtime/commands.h"

namespace berth::cli {

namespace {

const Option kPsOptions[] = {
    {{"format", "f"}, true, "table or json (default: table)"},
};

// Runs ps with args and returns its stdout.
Result<std::string> run_ps(const std::vector<std::string>& args) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0) return sys_error("pipe");
  pid_t pid = ::fork();
  if (pid < 0) return sys_error("fork");
  if (pid == 0) {
    ::dup2(fds[1], 1);
    std::vector<char*> argv = {const_cast<char*>("ps")};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execvp("ps", argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  Fd out(fds[0]);
  auto text = read_fd(out.get());
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!text) return text;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return invalid("ps: exited with an error (options?)");
  return text;
}

// "[DD-]HH:MM:SS" of CPU time, as ps's TIME column.
std::string cpu_time(uint64_t ns) {
  uint64_t s = ns / 1000000000, days = s / 86400;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02llu:%02llu:%02llu", static_cast<unsigned long long>(s / 3600 % 24),
                static_cast<unsigned long long>(s / 60 % 60), static_cast<unsigned long long>(s % 60));
  return days > 0 ? std::to_string(days) + "-" + buf : buf;
}

// The processes in a utility VM, which has no ps(1) and whose pids are not
// the host's: berth's own table, the columns of `ps -o pid,ppid,uid,time,rss,args`.
std::string guest_table(const std::vector<platform::ProcessInfo>& list) {
  std::string out = "    PID    PPID   UID     TIME   RSS CMD\n";
  for (const auto& p : list) {
    char line[128];
    std::snprintf(line, sizeof line, "%7d %7d %5u %8s %5llu ", p.pid, p.ppid, p.uid, cpu_time(p.cpu_time_ns).c_str(),
                  static_cast<unsigned long long>(p.rss_bytes / 1024));
    out += line + p.command + "\n";
  }
  return out;
}

nlohmann::json processes_json(const std::vector<platform::ProcessInfo>& list) {
  auto j = nlohmann::json::array();
  for (const auto& p : list)
    j.push_back({{"pid", p.pid},
                 {"ppid", p.ppid},
                 {"uid", p.uid},
                 {"cpuTimeNs", p.cpu_time_ns},
                 {"rssBytes", p.rss_bytes},
                 {"startTimeTicks", p.start_time_ticks},
                 {"command", p.command}});
  return j;
}

int run_ps_command(Context& ctx, const Args& a) {
  // "processes" is berth's own, not runc's: what the host's berth asks a
  // utility VM's for (platform/vm/container.cc).
  std::string format = a.get("format", "table");
  if (format != "table" && format != "json" && format != "processes")
    return fail(ctx, invalid("ps: --format: unknown format \"" + format + "\" (want table or json)"));
  std::string out;
  if (format == "json") {
    auto pids = runtime::pids(ctx.store, a.positional[0]);
    if (!pids) return fail(ctx, pids.error());
    out = nlohmann::json(*pids).dump() + "\n";
  } else {
    auto list = runtime::processes(ctx.store, a.positional[0]);
    if (!list) return fail(ctx, list.error());
    std::vector<std::string> ps_args(a.positional.begin() + 1, a.positional.end());
    if (format == "processes") {
      out = processes_json(*list).dump() + "\n";
      (void)!::write(1, out.data(), out.size());
      return 0;
    }
    if (!list->empty() && list->front().in_guest) {
      if (!ps_args.empty() && ps_args != std::vector<std::string>{"-ef"})
        return fail(ctx, invalid("ps: ps(1) options reach no utility VM (its processes are the guest's): use none, "
                                 "or --format json"));
      out = guest_table(*list);
      (void)!::write(1, out.data(), out.size());
      return 0;
    }
    std::vector<pid_t> pids;
    for (const auto& p : *list) pids.push_back(p.pid);
    std::sort(pids.begin(), pids.end());
    if (ps_args.empty()) ps_args = {"-ef"};
    auto table = run_ps(ps_args);
    if (!table) return fail(ctx, table.error());
    auto lines = split(*table, '\n');
    std::istringstream header(lines.empty() ? "" : lines[0]);
    std::string col;
    int pid_col = -1;
    for (int i = 0; header >> col; ++i)
      if (col == "PID") pid_col = i;
    if (pid_col < 0) return fail(ctx, invalid("ps: its output has no PID column"));
    out = lines[0] + "\n";
    for (size_t i = 1; i < lines.size(); ++i) {
      std::istringstream f(lines[i]);
      std::string field;
      for (int k = 0; k <= pid_col && f >> field; ++k) {
      }
      int64_t pid = 0;
      if (parse_int64(field, pid) && std::binary_search(pids.begin(), pids.end(), static_cast<pid_t>(pid)))
        out += lines[i] + "\n";
    }
  }
  (void)!::write(1, out.data(), out.size());
  return 0;
}

}  // namespace

// Options after the id are ps's own ("berth ps ID -ef"): not interleaved.
const Command kPsCommand = {
    "ps",
    nullptr,
    "<container-id> [ps options]",
    1,
    SIZE_MAX,
    "list the processes of a container",
    "Lists the processes running in the container. With --format json: a JSON array of their "
    "host pids. Otherwise ps(1) runs with the arguments after the id (default -ef) and its "
    "table is cut down to the container's processes. For a container in a utility VM (whose pids are the "
    "guest's): berth's own table of PID, PPID, UID, TIME, RSS and CMD.",
    kPsOptions,
    false,
    run_ps_command};

}  // namespace berth::cli
