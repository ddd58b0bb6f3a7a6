// The Linux platform: a container is an init process in namespaces of its
// own, held in cgroups (src/linux, src/cgroups, src/seccomp do the work).
#pragma once

#include <memory>
#include <string>

#include "base/fd.h"
#include "cgroups/manager.h"
#include "platform/linux/record.h"
#include "platform/platform.h"

namespace berth::platform::linux_ {

// A container's processes are PidfdProcess (platform/pidfd_process.h).

class LinuxContainer final : public Container {
 public:
  // dir_fd: the container's state directory, borrowed (the caller's
  // ContainerDir outlives this object).
  LinuxContainer(std::string id, int dir_fd, Record rec) : id_(std::move(id)), dir_fd_(dir_fd), rec_(std::move(rec)) {}

  Record& rec() { return rec_; }
  const Record& rec() const { return rec_; }

  pid_t pid() const override { return rec_.pid; }
  std::string record() const override { return encode_record(rec_); }
  state::Status status() override;
  Status start() override;
  Status signal(int sig, bool all) override;
  bool can_signal_all() const override { return !rec_.cgroups.empty(); }
  Status pause() override { return set_frozen(true); }
  Status resume() override { return set_frozen(false); }
  Status update(const oci::Resources& r) override;
  Result<Stats> statistics() override;
  Result<std::vector<pid_t>> pids(state::Status status) override;
  Result<std::vector<ProcessInfo>> processes(state::Status status) override;
  Result<Execed> create_process(const ExecRequest& opts) override;  // exec.cc
  Result<std::unique_ptr<Process>> open_process(pid_t pid = 0) override;
  Result<std::unique_ptr<OomWatch>> oom_events() override;  // oom.cc
  Status destroy(std::vector<std::string>* warnings) override;

  // True while the init is the process recorded (not gone, not a reused pid).
  bool init_alive() const;

 private:
  Status set_frozen(bool frozen);
  // The manager for the recorded cgroups, or nullptr when there are none.
  Result<std::unique_ptr<cgroups::Manager>> cgroups() const;

  std::string id_;
  int dir_fd_;
  Record rec_;
};

class LinuxPlatform final : public Platform {
 public:
  std::string_view name() const override { return "linux"; }
  bool honours(std::string_view) const override { return false; }          // "linux" is its own, and no other
  Result<std::unique_ptr<Creation>> prepare(CreateRequest& req) override;  // create.cc
  Result<std::unique_ptr<Container>> open(const state::ContainerDir& dir, const state::ContainerState& st) override;
  void features(nlohmann::ordered_json& out) const override;
  std::vector<std::pair<std::string, std::string>> versions() const override;
  Status protect_self(char** argv) override;
  bool in_user_namespace() const override;
};

// The manager for a container's recorded cgroups, or nullptr when it has
// none. Each recorded path must lie strictly below one of the host's cgroup
// mount points: a hand-edited state file must not turn delete into "kill
// every process of the host".
Result<std::unique_ptr<cgroups::Manager>> manager_for(const std::string& id, const Record& rec);

}  // namespace berth::platform::linux_
