#include "containerd/convert.h"

#include <time.h>

#include <cstdio>

#include "metrics.pb.h"

namespace berth::containerd {

namespace lb = libberth;

Code code_of(lb::Code c) {
  switch (c) {
    case lb::Code::kOk: return Code::kOk;
    case lb::Code::kInvalidArgument: return Code::kInvalidArgument;
    case lb::Code::kNotFound: return Code::kNotFound;
    case lb::Code::kAlreadyExists: return Code::kAlreadyExists;
    case lb::Code::kConflict: return Code::kFailedPrecondition;
    case lb::Code::kNotImplemented: return Code::kUnimplemented;
    case lb::Code::kInternal: return Code::kUnknown;
  }
  return Code::kUnknown;
}

Reply status_reply(const lb::Status& s) {
  if (s.ok()) return Reply::ok("");
  return Reply::error(code_of(s.code()), s.message());
}

Reply error_reply(const Error& e) {
  Code c = Code::kUnknown;
  switch (e.kind) {
    case ErrorKind::kInvalidArgument: c = Code::kInvalidArgument; break;
    case ErrorKind::kNotFound: c = Code::kNotFound; break;
    case ErrorKind::kAlreadyExists: c = Code::kAlreadyExists; break;
    case ErrorKind::kConflict: c = Code::kFailedPrecondition; break;
    case ErrorKind::kNotImplemented: c = Code::kUnimplemented; break;
    case ErrorKind::kInternal: c = Code::kUnknown; break;
  }
  return Reply::error(c, e.message);
}

void set_timestamp(const std::string& rfc3339, berth::wire::Timestamp* ts) {
  tm t{};
  int consumed = 0;
  if (std::sscanf(rfc3339.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &t.tm_year, &t.tm_mon, &t.tm_mday, &t.tm_hour,
                  &t.tm_min, &t.tm_sec, &consumed) != 6)
    return;
  t.tm_year -= 1900;
  t.tm_mon -= 1;
  int64_t nanos = 0;
  const char* p = rfc3339.c_str() + consumed;
  if (*p == '.') {
    int digits = 0;
    for (++p; *p >= '0' && *p <= '9'; ++p)
      if (digits++ < 9) nanos = nanos * 10 + (*p - '0');
    for (; digits < 9; digits++) nanos *= 10;
  }
  if (*p != 'Z') return;  // berth writes UTC only
  ts->set_seconds(::timegm(&t));
  ts->set_nanos(static_cast<int32_t>(nanos));
}

::containerd::v1::types::Status task_status(lb::TaskStatus s) {
  switch (s) {
    case lb::TaskStatus::kCreated: return ::containerd::v1::types::CREATED;
    case lb::TaskStatus::kRunning: return ::containerd::v1::types::RUNNING;
    case lb::TaskStatus::kPaused: return ::containerd::v1::types::PAUSED;
    case lb::TaskStatus::kStopped: return ::containerd::v1::types::STOPPED;
  }
  return ::containerd::v1::types::UNKNOWN;
}

std::string metrics(const lb::Stats& s) {
  ::io::containerd::cgroups::v1::Metrics m;
  m.mutable_pids()->set_current(s.pids_current);
  m.mutable_pids()->set_limit(s.pids_limit);
  auto* cpu = m.mutable_cpu()->mutable_usage();
  cpu->set_total(s.cpu_usage_ns);
  cpu->set_user(s.cpu_user_ns);
  cpu->set_kernel(s.cpu_system_ns);
  auto* mem = m.mutable_memory();
  auto raw = [&](const char* key) {
    auto it = s.memory_raw.find(key);
    return it == s.memory_raw.end() ? uint64_t{0} : it->second;
  };
  mem->set_cache(s.memory_cache);
  mem->set_rss(raw("rss"));
  mem->set_mapped_file(raw("mapped_file"));
  mem->set_dirty(raw("dirty"));
  mem->set_writeback(raw("writeback"));
  mem->set_pg_fault(raw("pgfault"));
  mem->set_pg_maj_fault(raw("pgmajfault"));
  mem->set_inactive_anon(raw("inactive_anon"));
  mem->set_active_anon(raw("active_anon"));
  mem->set_inactive_file(raw("inactive_file"));
  mem->set_active_file(raw("active_file"));
  mem->set_unevictable(raw("unevictable"));
  mem->set_total_cache(raw("total_cache"));
  mem->set_total_rss(raw("total_rss"));
  mem->set_total_inactive_file(raw("total_inactive_file"));
  mem->mutable_usage()->set_usage(s.memory_usage);
  mem->mutable_usage()->set_limit(s.memory_limit);
  mem->mutable_usage()->set_max(s.memory_max_usage);
  mem->mutable_swap()->set_usage(s.swap_usage);
  mem->mutable_swap()->set_limit(s.swap_limit);
  m.mutable_memory_oom_control()->set_oom_kill(s.oom_kills);
  return m.SerializeAsString();
}

}  // namespace berth::containerd
