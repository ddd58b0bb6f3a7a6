// The VM platform (runhcs's LCOW path, on QEMU): a sandbox's containers run
// in one utility VM, whose guest agent is berth itself running its Linux
// platform (platform/vm/agent.cc). A sandbox (or a container in no
// sandbox) starts the VM through a VM shim (vm_shim.h) and is its host;
// members are created in their sandbox's VM. Each container's init and
// each exec'd process is stood for on the host by a `berth vm-proxy`
// (guest.h), whose pid is the one the host's tools see.
//
// Chosen by the spec's "vm" section, the annotation io.berth.platform=vm,
// or berth's name: installed as `berth-vm`, every sandbox is VM-isolated.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "platform/platform.h"

namespace berth::vm {

// The VM platform's part of a container's state record ("vm").
struct Record {
  bool is_host = false;  // the VM is this container's own (runhcs's IsHost)
  pid_t shim_pid = 0;    // the VM shim (is_host), recorded before it runs
  uint64_t shim_start = 0;
  pid_t qemu_pid = 0;
  std::string accel;   // "kvm" or "tcg", as the VM was booted
  std::string kernel;  // the guest kernel's release
  std::string socket;  // the VM shim's socket (the host's, for a member)
  std::string share;   // this container's directory in the VM's share, on the host
  pid_t pid = 0;       // the init's stand-in (vm-proxy), recorded before it runs
  uint64_t pid_start = 0;
  pid_t guest_pid = 0;
  std::string netns;  // the pod's network namespace the VM is connected to (is_host; pod_network.h)
  std::string link;   // its interface whose traffic goes to the VM, recorded before it is redirected
};

std::string encode_record(const Record& r);
Result<Record> decode_record(std::string_view text);

// A guest process is its stand-in's PidfdProcess (platform/pidfd_process.h):
// the stand-in forwards every signal it can catch, and its end ends the
// guest process.

class VmContainer final : public platform::Container {
 public:
  VmContainer(std::string id, Record rec) : id_(std::move(id)), rec_(std::move(rec)) {}
  Record& rec() { return rec_; }

  pid_t pid() const override { return rec_.pid; }
  std::string record() const override { return encode_record(rec_); }
  state::Status status() override;
  Status start() override;
  Status signal(int sig, bool all) override;
  bool can_signal_all() const override { return true; }
  Status pause() override;
  Status resume() override;
  Status update(const oci::Resources& r) override;
  Result<platform::Stats> statistics() override;
  Result<std::vector<pid_t>> pids(state::Status status) override;
  Result<std::vector<platform::ProcessInfo>> processes(state::Status status) override;
  Result<platform::Execed> create_process(const platform::ExecRequest& req) override;
  Result<std::unique_ptr<platform::Process>> open_process(pid_t pid = 0) override;
  Result<std::unique_ptr<platform::OomWatch>> oom_events() override;
  Status destroy(std::vector<std::string>* warnings) override;

 private:
  Result<std::string> guest(const std::vector<std::string>& argv) const;
  Status guest_do(const std::vector<std::string>& argv) const;
  std::string id_;
  Record rec_;
};

class VmPlatform final : public platform::Platform {
 public:
  std::string_view name() const override { return "vm"; }
  bool honours(std::string_view section) const override { return section == "vm"; }
  Result<std::unique_ptr<platform::Creation>> prepare(platform::CreateRequest& req) override;  // create.cc
  Result<std::unique_ptr<platform::Container>> open(const state::ContainerDir& dir,
                                                    const state::ContainerState& st) override;
  void features(nlohmann::ordered_json& out) const override;
  Status protect_self(char**) override { return {}; }  // nothing of berth's runs in a container on the host
  bool in_user_namespace() const override { return false; }
};

}  // namespace berth::vm
