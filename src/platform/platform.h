// The compute-system seam: what the platform-neutral runtime (src/runtime/)
// asks of the system that really runs a container. hcsshim's shape: one
// Container/Process interface, implemented today by Linux namespaces and
// cgroups (src/platform/linux/); a utility VM per sandbox and Windows HCS
// plug in beside it. The runtime writes the lifecycle once over it: the
// lock, the status rules, sandbox membership and lock order, the record
// written before anything is made, rollback, hook timing, the pid file.
//
// Contracts every platform keeps:
// - Nothing is made before the request's record() has saved what will be
//   made (the state record, with the platform's own part): a crash at any
//   point leaves something destroy() can find and remove.
// - destroy() is safe on a half-made container and on one opened from a
//   record of a container whose processes are long gone.
// - Errors name the config field (JSON path) they come from.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/fd.h"
#include "base/result.h"
#include "oci/spec.h"
#include "platform/stats.h"
#include "state/status.h"
#include "state/store.h"

namespace berth::platform {

// One process of a container, as `docker top` shows it.
struct ProcessInfo {
  int pid = 0;  // as the host sees it (unless in_guest)
  int ppid = 0;
  unsigned uid = 0;
  uint64_t cpu_time_ns = 0;
  uint64_t rss_bytes = 0;
  uint64_t start_time_ticks = 0;
  std::string command;
  bool in_guest = false;  // pid and the rest are a utility VM guest's, not the host's
};

// A process of a container: its init or one created in it.
class Process {
 public:
  virtual ~Process() = default;
  // As the host's tools name it (the OCI state's pid).
  virtual pid_t pid() const = 0;
  // Becomes readable once the process has exited (Linux: a pidfd).
  virtual int exit_fd() const = 0;
  // The wait(2) status once exit_fd() is readable; reaps the process when it
  // is the caller's child. An error when the caller cannot learn it (not its
  // child): the shim's exit record then has it.
  virtual Result<int> exit_status() = 0;
  virtual Status signal(int sig) = 0;
  // Kills the process and waits for it: the undo of a process half made.
  virtual void terminate() = 0;
};

// Why a created container's init is parked, and who lets it go.
enum class Park {
  kStartCommand,  // until `start`, a command of its own (runc create)
  kStartNow,      // until start_now() of the same create (runc run)
};

// What runtime::create asks of a platform.
struct CreateOptions {
  std::string id;
  std::string bundle = ".";
  std::string pid_file;
  std::string console_socket;
  int preserve_fds = 0;
  int listen_fds = 0;  // socket activation: fds 3.. passed on, LISTEN_FDS/LISTEN_PID=1 set
  bool no_pivot = false;
  bool no_new_keyring = false;
  bool systemd_cgroup = false;  // cgroupsPath is slice:prefix:name
  bool rootless = false;        // a cgroup berth may not make is skipped, not an error
  bool detach = true;           // false: `run` in the foreground, which owns the terminal
};

class Container;

// The runtime's side of a create in progress, called by the platform.
struct CreateCallbacks {
  // Saves the state record with the platform's part (Container::record())
  // as it is now. Call before making what the record names.
  std::function<Status()> record;
  // Once the first record is saved: a sandbox's lock may go (runtime/sandbox.h).
  std::function<void()> recorded;
  // The prestart and createRuntime hooks, run when the platform's container
  // has its namespaces but has not yet pivoted (runtime-spec's timing).
  std::function<Status(const std::string& state_json)> create_hooks;
  // The container's OCI state JSON with status "creating" and pid.
  std::function<std::string(pid_t pid)> state_json;
};

struct CreateRequest {
  CreateOptions opts;
  std::string bundle;  // absolute
  oci::Spec* spec = nullptr;
  std::string config_text;  // config.json as written (the platform may keep parts verbatim)
  Park park = Park::kStartCommand;
  // The sandbox's container this one joins (runhcs's HostID), or nullptr.
  // Valid until CreateCallbacks::recorded() (it goes with the sandbox's
  // lock); a platform that needs more of it keeps what it needs in prepare().
  Container* host = nullptr;
  std::string host_id;
  std::string host_annotation;  // the annotation that named the sandbox, for errors
};

// A container being created: prepared (checked, nothing made), then made.
class Creation {
 public:
  virtual ~Creation() = default;
  // Makes the container, its state in dir. On failure the caller destroys
  // container() (a process half made is already gone).
  virtual Status make(const state::ContainerDir& dir, const CreateCallbacks& cb) = 0;
  // The container, valid from the start of make() (for record and destroy)
  // until take_container() hands it over, once the create has succeeded.
  virtual Container& container() = 0;
  virtual std::unique_ptr<Container> take_container() = 0;
  // The init, once made.
  virtual Process& init() = 0;
  // Park::kStartNow: lets the init run the user's process; returns once it has.
  virtual Status start_now() = 0;
  // The pty master a foreground run (or the shim) proxies when the init has
  // a terminal and no console socket was given; an empty Fd otherwise.
  virtual Result<Fd> take_console() = 0;
  virtual std::vector<std::string>& warnings() = 0;
};

// What runtime::exec asks of a platform.
struct ExecRequest {
  oci::Process process;
  std::string console_socket;  // with process.terminal; empty: berth proxies the pty
  int preserve_fds = 0;
  // --cgroup: sub-cgroups (below the container's) to run in; controller ->
  // relative path, "" for every hierarchy.
  std::map<std::string, std::string> sub_cgroups;
  // The container's OCI state (running), for a seccomp listener.
  std::string state_json;
};

struct Execed {
  std::unique_ptr<Process> process;
  Fd console;  // terminal without a console socket: the pty master, for berth to proxy
  std::vector<std::string> warnings;
};

// Reports a container's OOM kills. fd() becomes readable when one may have
// happened; check() says what did: an OOM kill, and whether the watch is
// over (the container's memory cgroup was removed).
class OomWatch {
 public:
  struct Seen {
    bool oom = false;
    bool gone = false;
  };
  virtual ~OomWatch() = default;
  virtual int fd() const = 0;
  virtual Seen check() = 0;
};

// A container, opened from its record or just made.
class Container {
 public:
  virtual ~Container() = default;
  // The init's pid as the host sees it; 0 before it exists.
  virtual pid_t pid() const = 0;
  // The platform's part of the state record (a JSON object).
  virtual std::string record() const = 0;
  // From the live system. kCreating means no init was made yet (the runtime
  // tells a create in progress from one that died by the lock).
  virtual state::Status status() = 0;
  // Lets a created container's init run the user's process (`start`).
  virtual Status start() = 0;
  // One process (the init) or, with all, every process of the container.
  virtual Status signal(int sig, bool all) = 0;
  // True when signal(sig, true) reaches processes even once the init is gone.
  virtual bool can_signal_all() const = 0;
  virtual Status pause() = 0;
  virtual Status resume() = 0;
  virtual Status update(const oci::Resources& r) = 0;
  virtual Result<Stats> statistics() = 0;
  // Every process's pid, sorted; empty once stopped and nothing is left.
  virtual Result<std::vector<pid_t>> pids(state::Status status) = 0;
  virtual Result<std::vector<ProcessInfo>> processes(state::Status status) = 0;
  virtual Result<Execed> create_process(const ExecRequest& req) = 0;
  // A process of the container, to wait for (reattach): the init (pid 0) or
  // pid, which must be alive now; nullptr when it has gone.
  virtual Result<std::unique_ptr<Process>> open_process(pid_t pid = 0) = 0;
  // nullptr when the platform cannot watch (no memory controller).
  virtual Result<std::unique_ptr<OomWatch>> oom_events() = 0;
  // Kills every process and removes what the platform made; the state
  // directory stays (the runtime removes it). Warnings for what it left.
  virtual Status destroy(std::vector<std::string>* warnings) = 0;
};

// The annotation that names a container's platform ("linux", "vm").
inline constexpr char kPlatformAnnotation[] = "io.berth.platform";

// A way to run containers.
class Platform {
 public:
  virtual ~Platform() = default;
  // Recorded in state.json ("linux").
  virtual std::string_view name() const = 0;
  // The config section this platform honours beyond the common ones ("linux",
  // "vm", "windows"); a spec naming a section no platform honours is refused.
  virtual bool honours(std::string_view section) const = 0;
  // Checks and resolves what needs no state: nothing is made, and an error
  // names the field.
  virtual Result<std::unique_ptr<Creation>> prepare(CreateRequest& req) = 0;
  virtual Result<std::unique_ptr<Container>> open(const state::ContainerDir& dir, const state::ContainerState& st) = 0;
  // Adds the platform's part of `berth features` (runtime-spec's features
  // document) to out; and host facts the command line needs.
  virtual void features(nlohmann::ordered_json& out) const = 0;
  // The libraries behind it, for `berth --version` ({"libseccomp", "2.5.4"}).
  virtual std::vector<std::pair<std::string, std::string>> versions() const { return {}; }
  // Before a command that puts berth's code in a container (create, run,
  // exec): Linux re-executes berth from a read-only copy (CVE-2019-5736).
  virtual Status protect_self(char** argv) = 0;
  // True when berth itself runs in a user namespace (rootless podman).
  virtual bool in_user_namespace() const = 0;
};

// The platforms of this build. The first added is the native one (the
// default for a spec without a platform section). Filled once at start-up,
// before any runtime call, by the binary or library that links the
// platforms (src/platform/builtin.cc); tests add fakes.
class Registry {
 public:
  void add(Platform* p);
  // The platform whose name is recorded, or kNotFound.
  Result<Platform*> find(std::string_view name) const;
  // The platform for spec: the one its annotation io.berth.platform names,
  // else the one honouring its platform section (spec.other_platforms, e.g.
  // "vm"), else the default (the native one unless set_default changed it).
  // kNotImplemented, naming the section, when none can.
  Result<Platform*> choose(const oci::Spec& spec) const;
  Platform* native() const { return platforms_.empty() ? nullptr : platforms_.front(); }
  // The platform for a spec that names none (berth run as `berth-vm`: "vm").
  Status set_default(std::string_view name);
  // True when spec names its platform (a section, or io.berth.platform).
  static bool names_platform(const oci::Spec& spec);
  void clear() {
    platforms_.clear();
    default_ = nullptr;
  }

 private:
  std::vector<Platform*> platforms_;
  Platform* default_ = nullptr;
};

Registry& registry();

}  // namespace berth::platform
