// The library's Task (a container's init and lifecycle) and Process (an
// exec'd process). Lifecycle calls run the engine in-process (runtime/);
// an exec goes through the shim, which runs `berth exec` and reaps it.
#pragma once

#include <map>
#include <memory>
#include <mutex>

#include "berth/berth.h"
#include "client/core.h"

namespace berth::client {

class ExecImpl final : public libberth::Process {
 public:
  explicit ExecImpl(std::shared_ptr<ProcCore> core) : core_(std::move(core)) {}
  const std::string& container_id() const override { return core_->container_id; }
  const std::string& id() const override { return core_->key; }
  int pid() const override { return core_->pid; }
  libberth::Status kill(int signal) override { return core_->shim_request("kill", std::to_string(signal)); }
  libberth::Status resize(unsigned width, unsigned height) override {
    return core_->shim_request("resize", std::to_string(width) + " " + std::to_string(height));
  }
  libberth::Status close_stdin() override { return core_->shim_request("close-stdin", ""); }
  libberth::Status wait(libberth::ExitStatus* exit) override { return core_->wait(exit); }
  libberth::Status remove() override;

  std::function<void()> on_remove;  // the task forgets it

 private:
  std::shared_ptr<ProcCore> core_;
};

class TaskImpl final : public libberth::Task, public std::enable_shared_from_this<TaskImpl> {
 public:
  explicit TaskImpl(std::shared_ptr<ProcCore> core) : core_(std::move(core)) {}
  const std::string& container_id() const override { return core_->container_id; }
  const std::string& id() const override { return core_->key; }
  int pid() const override { return core_->pid; }
  libberth::Status kill(int signal) override;
  libberth::Status kill_all(int signal) override;
  libberth::Status resize(unsigned width, unsigned height) override {
    return core_->shim_request("resize", std::to_string(width) + " " + std::to_string(height));
  }
  libberth::Status close_stdin() override { return core_->shim_request("close-stdin", ""); }
  libberth::Status wait(libberth::ExitStatus* exit) override { return core_->wait(exit); }
  libberth::Status start() override;
  libberth::Status pause() override;
  libberth::Status resume() override;
  libberth::Status status(libberth::TaskStatus* out) override;
  libberth::Status stats(libberth::Stats* out) override;
  libberth::Status processes(std::vector<libberth::ProcessInfo>* out) override;
  libberth::Status update(const std::string& resources_json) override;
  libberth::Status exec(const std::string& exec_id, const std::string& process_json, const libberth::Stdio& stdio,
                        std::shared_ptr<libberth::Process>* process) override;
  libberth::Status remove() override;
  libberth::Status force_remove() override;

  bool removed() const { return removed_; }

 private:
  const state::Store& store() const { return core_->shared->store; }
  std::shared_ptr<ProcCore> core_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<ExecImpl>> execs_;
  std::atomic<bool> removed_{false};
};

}  // namespace berth::client
