#include "platform/linux/proc_info.h"

#include <unistd.h>

#include <sstream>

#include "base/file.h"

namespace berth::platform::linux_ {

Result<ProcessInfo> read_process_info(pid_t pid) {
  const std::string dir = "/proc/" + std::to_string(pid);
  auto stat = read_file(dir + "/stat");
  if (!stat) return make_error(ErrorKind::kNotFound, "process " + std::to_string(pid) + " has exited");
  ProcessInfo info;
  info.pid = pid;
  // Fields after the command, which may hold spaces and parentheses.
  auto close = stat->rfind(')');
  if (close == std::string::npos) return invalid(dir + "/stat: malformed");
  std::istringstream rest(stat->substr(close + 2));
  std::string f[20];
  for (auto& x : f) rest >> x;  // fields 3..22
  const uint64_t ticks = static_cast<uint64_t>(::sysconf(_SC_CLK_TCK));
  uint64_t utime = 0, stime = 0, start = 0;
  int64_t ppid = 0;
  parse_int64(f[1], ppid);
  parse_uint64(f[11], utime);
  parse_uint64(f[12], stime);
  parse_uint64(f[19], start);
  info.ppid = static_cast<int>(ppid);
  info.cpu_time_ns = (utime + stime) * (1000000000ull / ticks);
  info.start_time_ticks = start;
  if (auto status = read_file(dir + "/status")) {
    for (const auto& line : split(*status, '\n')) {
      if (line.rfind("Uid:", 0) == 0) {
        int64_t uid = 0;
        std::istringstream(line.substr(4)) >> uid;
        info.uid = static_cast<unsigned>(uid);
      } else if (line.rfind("VmRSS:", 0) == 0) {
        uint64_t kb = 0;
        std::istringstream(line.substr(6)) >> kb;
        info.rss_bytes = kb * 1024;
      }
    }
  }
  if (auto cmdline = read_file(dir + "/cmdline")) {
    for (char& c : *cmdline)
      if (c == '\0') c = ' ';
    info.command = std::string(trim(*cmdline));
  }
  if (info.command.empty()) info.command = "[" + stat->substr(stat->find('(') + 1, close - stat->find('(') - 1) + "]";
  return info;
}

}  // namespace berth::platform::linux_
