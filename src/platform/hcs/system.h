// The Host Compute Service (computecore.dll) as berth calls it: a compute
// system and its processes, each call waited on, each failure an error that
// names the call, the system and HCS's own message:
//   HcsStartComputeSystem c1: <ErrorMessage of HCS's result document> (0x80004005)
//
// HCS is asynchronous: every call takes an HCS_OPERATION and completes it
// later, on a thread of HCS's. Here each call waits for its operation
// (HcsWaitForOperationResult), so the caller sees a plain blocking call; a
// process's exit (HcsEventProcessExited, delivered to a callback on HCS's
// thread) becomes an event HANDLE, the Windows form of the seam's exit fd,
// which the owner waits on with the rest of its handles.
//
// Windows only (the translation in translate.h is what runs everywhere).
#pragma once

#include <windows.h>

#include <computecore.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "base/result.h"
#include "base/win.h"

namespace berth::platform::hcs {

// HCS's answers for a system (or process) that is already stopped, and for
// a system that does not exist. computecore documents the HCS_E_ codes
// (0x8037...); hcsshim knows the same conditions by vmcompute's older
// values (0xC037...): both are taken.
bool is_already_stopped(HRESULT hr);
bool is_not_found(HRESULT hr);

// A process created in a compute system; closed (HcsCloseProcess) when
// destroyed. Its stdio are the pipes HCS made for it (the parameters'
// CreateStd*Pipe), owned here until taken.
class Process {
 public:
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  DWORD pid() const { return pid_; }
  // Signalled once the process has exited.
  HANDLE exited() const { return exited_.get(); }
  // The exit code, once exited() is signalled; none when HCS did not say
  // (its event carried no code, or HCS went away).
  std::optional<DWORD> exit_code();
  // HcsTerminateProcess; an already exited process is not an error.
  Status terminate();
  // HcsSignalProcess with a ProcessSignal document ({"Signal": "CtrlC"}...).
  Status signal(const std::string& document);

  win::Handle std_in, std_out, std_err;

 private:
  friend class System;
  Process() = default;
  static void CALLBACK on_event(HCS_EVENT* event, void* context);
  // Records the exit (its code from document, when there) and signals it.
  void exited_with(const std::string& document);

  HCS_PROCESS h_ = nullptr;
  DWORD pid_ = 0;
  std::string system_id_;
  win::Handle exited_;
  std::mutex mu_;
  std::optional<DWORD> exit_code_;
};

// A handle on a compute system; closed (HcsCloseComputeSystem) when
// destroyed. Closing leaves the system as it is: HCS keeps a system until
// it stops and its last handle closes.
class System {
 public:
  // HcsCreateComputeSystem with configuration (the v2 ComputeSystem JSON).
  static Result<std::unique_ptr<System>> create(const std::string& id, const std::string& configuration);
  // HcsOpenComputeSystem: kNotFound when HCS has no system of that id.
  static Result<std::unique_ptr<System>> open(const std::string& id);
  ~System();
  System(const System&) = delete;
  System& operator=(const System&) = delete;

  const std::string& id() const { return id_; }
  Status start();
  // Shutdown asks the system's processes to end (a signal other than KILL,
  // seed 003) and waits at most wait_ms for HCS to finish; one still going
  // after that goes on, its operation waited for by a thread of its own (so
  // a caller holding a lock is not held up by an init that ignores it).
  // Terminate ends them (KILL). Both succeed on a stopped system.
  Status shutdown(DWORD wait_ms = INFINITE);
  Status terminate();
  Status pause();
  Status resume();
  // HcsGetComputeSystemProperties: the result document.
  Result<std::string> properties(const std::string& query = "");
  // HcsCreateProcess with parameters (ProcessParameters JSON, process.h).
  Result<std::unique_ptr<Process>> create_process(const std::string& parameters);

 private:
  explicit System(std::string id) : id_(std::move(id)) {}
  std::string id_;
  HCS_SYSTEM h_ = nullptr;
};

}  // namespace berth::platform::hcs
