// The state store: one directory per container under the runtime root
// (--root, default /run/berth), holding state.json and the exec fifo.
//
// Contracts:
// - state.json is replaced atomically (temp file + rename): readers never lock
//   and never see a torn file.
// - Commands that change a container hold its lock (flock on its directory)
//   for their whole run, so concurrent commands on one id are serialised.
// - Anything create makes is recorded here before it is made, so delete
//   --force can undo a half-made container. A directory without a readable
//   state.json is still deletable.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/fd.h"
#include "base/result.h"
#include "oci/spec.h"
#include "state/id.h"

namespace berth::state {

inline constexpr char kStateFile[] = "state.json";
// A second copy of state.json, written right after it: a state.json
// truncated or overwritten by someone else must not orphan a running
// container (its pid and cgroups are what delete --force needs).
inline constexpr char kStateBackup[] = "state.json.bak";
inline constexpr char kExecFifo[] = "exec.fifo";

// What berth remembers about one container: the platform-neutral part,
// and the platform's own (src/platform/platform.h) as a JSON object only
// that platform reads.
struct ContainerState {
  std::string id;
  std::string oci_version;  // of the config it was created from
  std::string bundle;       // absolute
  std::string rootfs;       // absolute
  std::string created;      // RFC 3339, UTC
  std::map<std::string, std::string> annotations;
  // The hooks that run after create returns, kept here because the bundle
  // may be gone by then.
  std::vector<oci::Hook> poststart, poststop;
  // The sandbox the container belongs to (runtime/sandbox.h); a sandbox
  // records its own id, a container outside any sandbox "". Absent from
  // files written before sandboxes existed, which decode as "".
  std::string sandbox;
  // Where it runs: the platform that made it ("linux"), and the container
  // hosting it (runhcs's HostID: the sandbox whose namespaces or utility VM
  // it lives in), "" for none.
  std::string platform = "linux";
  std::string host;
  // The platform's part, a JSON object, as text: what the platform
  // recorded (Container::record()) or the span decode_state() found, so
  // only the platform parses it. Linux: {"pid", "pidStart", "cgroups"};
  // files written before the split hold those at the top level and decode
  // as Linux's part.
  std::string platform_state = "{}";
};
std::string encode_state(const ContainerState& st);
Result<ContainerState> decode_state(std::string_view text);

// One container's directory, open and locked for as long as this object lives.
class ContainerDir {
 public:
  ContainerDir(std::string id, std::string path, Fd dir, bool locked)
      : id_(std::move(id)), path_(std::move(path)), dir_(std::move(dir)), locked_(locked) {}

  const std::string& id() const { return id_; }
  const std::string& path() const { return path_; }
  int fd() const { return dir_.get(); }
  // True when this object holds the container's lock.
  bool locked() const { return locked_; }

  // Writes state.json, then its backup, each atomically.
  Status save(const ContainerState& st) const;
  // Reads state.json, or its backup when state.json cannot be read. ENOENT
  // means neither was ever written (a create that stopped before recording
  // anything); any other error means the record is damaged: the container
  // may be running and berth cannot tell what it holds. owner, if given,
  // gets the uid that wrote the record (the container's owner, as runc
  // reports it), from the stat the read needs anyway.
  Result<ContainerState> load(uid_t* owner = nullptr) const;
  bool has(const char* name) const;
  // Removes the directory and everything in it.
  Status remove();

 private:
  Result<ContainerState> load_file(const char* name, uid_t* owner) const;
  std::string id_;
  std::string path_;
  Fd dir_;
  bool locked_ = false;
};

class Store {
 public:
  explicit Store(std::string root) : root_(std::move(root)) {}
  const std::string& root() const { return root_; }

  // Makes the container's directory and locks it; kAlreadyExists if the id is taken.
  Result<ContainerDir> create(const std::string& id) const;
  // Opens and locks an existing container; kNotFound if there is none.
  Result<ContainerDir> lock(const std::string& id) const;
  // Opens without locking, for readers (state, list).
  Result<ContainerDir> open(const std::string& id) const;
  // Removes what creates killed half-way left: directories not yet renamed
  // to their id (a create in progress holds its own, and is not touched).
  void sweep() const;
  // Ids of every container directory, sorted.
  Result<std::vector<std::string>> list() const;

 private:
  Result<ContainerDir> open_dir(const std::string& id, bool take_lock) const;
  std::string root_;
};

// True when someone other than this ContainerDir holds the container's lock.
bool is_locked(const ContainerDir& dir);

}  // namespace berth::state
