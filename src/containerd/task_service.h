// containerd's task service (containerd.task.v2.Task), served by the pod's
// shim for every container of the pod, on libberth: the engine in this
// process for reads, signals, pause and stats, the berth binary for the
// clone (never done in this multi-threaded process), and a berth-shim per
// container as its parent, holding its stdio and recording its exits.
//
// What containerd sees:
// - Create mounts the rootfs containerd gives (its snapshot) at
//   <bundle>/rootfs, opens containerd's fifos and creates the container,
//   parked; Start runs it; Exec records a process that Start runs.
// - Events, in order per container: /tasks/create, start, exec-added,
//   exec-started, paused, resumed, oom, exit, delete, each once.
// - Errors carry gRPC codes containerd's errdefs read: NotFound for an
//   unknown id, AlreadyExists, FailedPrecondition for a wrong state,
//   InvalidArgument for bad input, Unimplemented for Checkpoint.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "berth/berth.h"
#include "containerd/publisher.h"
#include "containerd/ttrpc.h"

namespace berth::containerd {

class TaskService {
 public:
  // client's event handler must forward to on_event.
  TaskService(libberth::Client* client, Publisher* publisher);
  void on_event(const libberth::Event& e);
  // Registers every method on server. shutdown runs when Shutdown finds the
  // shim with no container left (or is told now).
  void install(Server* server, std::function<void()> shutdown);
  // Containers this shim serves.
  size_t size();

  // One process: the init or an exec (Entry::execs is keyed by exec id).
  struct Proc {
    std::string stdin_path, stdout_path, stderr_path;
    bool terminal = false;
    std::string spec_json;                     // an exec's, until Start runs it
    std::shared_ptr<libberth::Process> proc;   // once created (init) or started (exec)
    std::optional<libberth::ExitStatus> exit;  // from its exit event
  };
  struct Entry {
    std::string bundle;
    bool mounted_rootfs = false;
    std::shared_ptr<libberth::Container> container;
    std::shared_ptr<libberth::Task> task;  // set (under mu_) once created: then calls find it
    std::map<std::string, Proc> execs;     // by exec id
    Proc init;
  };

 private:
  Reply create(const std::string& payload);
  Reply start(const std::string& payload);
  Reply remove(const std::string& payload);
  Reply exec(const std::string& payload);
  Reply kill(const std::string& payload);
  Reply state(const std::string& payload);
  Reply wait(const std::string& payload);
  Reply pids(const std::string& payload);
  Reply stats(const std::string& payload);
  Reply pause(const std::string& payload, bool resume);
  Reply resize(const std::string& payload);
  Reply close_io(const std::string& payload);
  Reply update(const std::string& payload);
  Reply connect(const std::string& payload);

  // The entry of id, or nullptr.
  std::shared_ptr<Entry> find(const std::string& id);
  void record_exit(const libberth::Event& e);
  void publish(const std::string& topic, const std::string& type, const std::string& event);

  libberth::Client* client_;
  Publisher* publisher_;
  std::mutex mu_;
  std::condition_variable execs_changed_;  // an exec started or went (under mu_)
  std::map<std::string, std::shared_ptr<Entry>> entries_;
};

}  // namespace berth::containerd
