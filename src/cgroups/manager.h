// The cgroup manager: one interface over cgroup v1 (and the hybrid layout)
// and cgroup v2. A manager owns the directories of one container, named in a
// map that the state store records before they are made:
//   key = the hierarchy's /proc/PID/cgroup key ("memory", "cpu,cpuacct",
//         "name=systemd") for v1, "" for the cgroup2 tree;
//   value = the absolute directory.
// Managers take their layout (mount points) as data, so unit tests run them
// on a temp-dir tree.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "cgroups/layout.h"
#include "oci/spec.h"
#include "platform/stats.h"

namespace berth::cgroups {

using Paths = std::map<std::string, std::string>;

using Stats = platform::Stats;

class Manager {
 public:
  virtual ~Manager() = default;

  const Paths& paths() const { return paths_; }

  // Makes every directory (mkdir -p; existing ones are joined, as runc does).
  virtual Status create() = 0;
  // Writes the limits. On update, only the fields present change.
  virtual Status set(const oci::Resources& r) = 0;
  // Moves pid into every directory.
  virtual Status add(pid_t pid) = 0;
  // Freezes (or thaws) every process and waits until the kernel says so.
  virtual Status freeze(bool frozen) = 0;
  virtual bool frozen() const = 0;
  // Every pid in the container's cgroup (and below it).
  virtual Result<std::vector<pid_t>> pids() const = 0;
  virtual Result<Stats> stats() const = 0;
  // The cgroup2 directory to clone into (CLONE_INTO_CGROUP), or "".
  virtual std::string clone_dir() const = 0;
  // Kills every process (thawing a frozen cgroup first) and removes the
  // directories. Safe on directories that do not exist (any more).
  Status destroy();

 protected:
  explicit Manager(Paths paths) : paths_(std::move(paths)) {}
  Paths paths_;
};

// Where a container's cgroups go, as runc reads cgroupsPath:
//   absolute "/a/b"  -> <hierarchy>/a/b
//   relative "a/b"   -> <hierarchy>/<berth's own cgroup>/a/b
//   empty            -> <hierarchy>/<berth's own cgroup>/<id>
//   systemd "slice:prefix:name" (--systemd-cgroup, mapped onto cgroupfs since
//                       no systemd runs) -> /<expanded slice>/<prefix>-<name>.scope
// own: /proc/self/cgroup as key -> path.
Result<Paths> resolve_paths(const Layout& layout, const std::string& cgroups_path, const std::string& id, bool systemd,
                            const Paths& own);

// The manager for recorded paths (v1 with an optional "" entry for the hybrid
// layout's cgroup2 directory, or v2 alone).
std::unique_ptr<Manager> make_manager(const Layout& layout, const Paths& paths);

// Reads every pid of a cgroup directory and its descendants.
Result<std::vector<pid_t>> read_pids(const std::string& dir);

}  // namespace berth::cgroups
