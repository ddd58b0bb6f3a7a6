// A Windows container's lifecycle over HCS (platform/hcs/system.h) and the
// Windows store (store.h): what berth.exe's commands and libberth for
// Windows both call. Each function that changes a container takes its lock
// for its whole length, and returns an error naming what failed; nothing
// here prints.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/win.h"
#include "oci/spec.h"
#include "platform/hcs/system.h"
#include "windows/store.h"

namespace berth::win {

struct CreateRequest {
  std::string id;
  std::string bundle;     // absolute; holds config.json
  std::string berth_exe;  // the program the shim runs as (`<berth_exe> shim`)
  // The init's stdio: the shim is started with these (nullptr: none).
  HANDLE std_in = nullptr, std_out = nullptr, std_err = nullptr;
  std::vector<std::string>* warnings = nullptr;  // the translation's, if wanted
};

// Checks and translates the bundle's config, records the container, creates
// its compute system and starts its shim (runhcs's createContainer). On a
// failure nothing is left: what was made is undone in reverse. The shim's
// pid (the container's pid until its init runs).
Result<uint32_t> create(const Store& store, const CreateRequest& req);
// Starts the compute system and has the shim create the init (runhcs's
// container.Exec). The init's pid. A failure leaves the container created.
Result<uint32_t> start(const Store& store, const std::string& id);
// KILL terminates the compute system, any other signal shuts it down
// (seed 003); through the shim, which sees the init end.
Status kill(const Store& store, const std::string& id, int signal);
Status pause(const Store& store, const std::string& id, bool resume);
// Removes a stopped or created container (with force, any), its compute
// system first: one HCS refuses to stop keeps its record, for a later try.
Status remove(const Store& store, const std::string& id, bool force);
// Creates process (an OCI process; init: the container's, for defaults) in
// the running container's compute system. The caller owns it and its
// stdio pipes.
Result<std::unique_ptr<platform::hcs::Process>> exec(const Store& store, const std::string& id,
                                                     const oci::Process& process, const oci::Process& init);
// A live container's processes, from HCS's ProcessList.
struct ProcessEntry {
  uint32_t pid = 0;
  std::string image;
};
Result<std::vector<ProcessEntry>> process_list(const Store& store, const std::string& id);

// A live container's figures, from HCS's Statistics (100 ns units already
// made nanoseconds); a figure HCS leaves out is 0.
struct Statistics {
  uint64_t cpu_ns = 0, cpu_user_ns = 0, cpu_kernel_ns = 0;
  uint64_t memory_commit = 0, memory_commit_peak = 0, memory_private_working_set = 0;
};
Result<Statistics> statistics(const Store& store, const std::string& id);

// What a record stands for now: a created, running or paused container
// whose shim is gone has stopped.
std::string status_now(const Record& r);
// A number, or a name with or without "SIG"; -1 for neither.
int signal_number(std::string name);
// Whether the record's shim still runs: its pid, with the creation time
// recorded (a pid is reused once its process has gone).
bool shim_alive(const Record& r);
// The record's shim opened with access (and PROCESS_QUERY_LIMITED_INFORMATION),
// if it is still that process; none otherwise.
Handle open_shim(const Record& r, DWORD access);
// The absolute form of a path (GetFullPathNameW).
std::string absolute(const std::string& path);

}  // namespace berth::win
