// The Windows state store: the same contracts as Linux's (state/store.h)
// with Windows' primitives.
//
// - A container is <root>\<id>\state.json. The record is written before
//   what it describes is made (a "creating" record names the compute system
//   before HCS is asked for it), so `delete --force` after a crash at any
//   point finds what to remove.
// - Every write replaces the whole file atomically: a temporary file in the
//   same directory, flushed (FlushFileBuffers), then MoveFileExW with
//   MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH. A reader sees the old
//   record or the new one.
// - A lock per container: a named mutex ("Global\berth-<hash of root and
//   id>", one for every session), held by whoever changes the container. A named mutex is the
//   Windows primitive that goes away with its last handle (a lock file would
//   stay behind after delete) and is released by the system when its owner
//   dies (WAIT_ABANDONED: the next owner takes it, as flock's is).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/win.h"

namespace berth::win {

// What berth records about a Windows container.
struct Record {
  std::string id;
  std::string bundle;
  std::string status = "creating";  // creating, created, running, stopped
  std::string created;              // RFC 3339, UTC
  std::string owner = "berth";
  std::map<std::string, std::string> annotations;
  // Placement (runhcs's persistedState): the sandbox this container is or
  // belongs to, the container whose utility VM hosts it, whether it owns one.
  std::string sandbox_id;
  std::string host_id;
  bool is_host = false;
  // The compute system HCS knows it by (the container id), once asked for.
  bool system_requested = false;
  uint32_t shim_pid = 0;
  uint64_t shim_start = 0;  // its creation time (FILETIME): with the pid, names it
  uint32_t init_pid = 0;    // once started
  std::optional<uint32_t> exit_code;
  // The init's ProcessParameters (process.h), created at start by the shim.
  std::string process_parameters;
};

std::string encode(const Record& r);
Result<Record> decode(const std::string& text, const std::string& path);

// A container's lock; released when destroyed.
class Lock {
 public:
  explicit Lock(Handle mutex) : mutex_(std::move(mutex)) {}
  Lock(Lock&&) = default;
  ~Lock() {
    if (mutex_) ReleaseMutex(mutex_.get());
  }

 private:
  Handle mutex_;
};

class Store {
 public:
  explicit Store(std::string root) : root_(std::move(root)) {}
  const std::string& root() const { return root_; }
  std::string dir(const std::string& id) const { return root_ + "\\" + id; }

  // Waits for and takes the container's lock (the id is checked first).
  Result<Lock> lock(const std::string& id) const;
  // kNotFound when there is no such container.
  Result<Record> load(const std::string& id) const;
  // Makes the container's directory (kAlreadyExists if it has a record; one
  // a crash left without is reused) and writes its first record.
  Status add(const Record& r) const;
  Status save(const Record& r) const;
  // The directory and everything in it.
  Status remove(const std::string& id) const;
  // Ids of every container, sorted.
  Result<std::vector<std::string>> list() const;
  // The named pipe the container's shim serves: \\.\pipe\berth-<hash>.
  std::string pipe_name(const std::string& id) const;

 private:
  std::string root_;
};

// The default root: %ProgramData%\berth.
std::string default_root();

}  // namespace berth::win
