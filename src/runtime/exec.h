// exec: a new process in a running container, as `runc exec` starts it.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "oci/spec.h"
#include "platform/platform.h"
#include "state/store.h"

namespace berth::runtime {

struct ExecOptions {
  std::string id;
  oci::Process process;
  std::string pid_file;
  std::string console_socket;  // with process.terminal; empty: berth proxies the pty
  int preserve_fds = 0;
  bool ignore_paused = false;
  // --cgroup: sub-cgroups (below the container's) to run in; controller ->
  // relative path, "" for every hierarchy (and the only form on cgroup v2).
  std::map<std::string, std::string> sub_cgroups;
};

using platform::Execed;

// The container's process spec from its bundle's config.json, as JSON text:
// the base that exec flags and a process file override.
Result<std::string> container_process_json(const state::Store& store, const std::string& id);

// Starts the process and returns once it has exec'd (its pid is then in
// pid_file). kConflict when the container is not running (or paused without
// ignore_paused).
Result<Execed> exec(const state::Store& store, const ExecOptions& opts);

}  // namespace berth::runtime
