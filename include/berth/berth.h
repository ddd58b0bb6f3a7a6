// libberth: berth's engine as a C++ library, with the daemon-side API of
// dockerd's libcontainerd: containers, their init task, exec'd processes,
// and events delivered in order per container.
//
// In a function that returns a Status (tests/library/snippets_test.sh
// compiles this example; spec_json, dir, out, err and on_event are the
// caller's):
//
// ```c++
// std::unique_ptr<libberth::Client> client;
// if (auto s = libberth::Client::open({.root = "/run/mydaemon/berth"}, &client); !s.ok()) return s;
// client->set_event_handler([](const libberth::Event& e) { on_event(e); });  // on the library's threads
// std::shared_ptr<libberth::Container> c;
// if (auto s = client->create_container("web", spec_json, {.bundle = dir}, &c); !s.ok()) return s;
// std::shared_ptr<libberth::Task> t;
// if (auto s = c->new_task({.stdout_fd = out, .stderr_fd = err}, &t); !s.ok()) return s;
// if (auto s = t->start(); !s.ok()) return s;
// ```
//
// Every container gets a shim (one small process; see the README) that is
// its parent: it holds the container's stdio, reaps it and records how it
// ended. If the shim is killed, the container loses its stdio (EOF, EPIPE)
// and its exit is reported with code 255, as containerd reports a lost one.
//
// Lifetimes:
// - The containers do not depend on the Client: destroy it (a daemon
//   restart), open a new one on the same root, and load_container()
//   reattaches to the running task and sees its later exit.
// - A Container, Task or Process the program holds keeps working after its
//   Client is destroyed: every call (wait, kill, status, stats, exec, pause,
//   remove, ...) does what it does with the Client open, and wait() still
//   returns the real exit (asking the shim itself, or without one reading
//   the exit record or watching the pid). What ends with the Client is the
//   event handler: the events queued when it is destroyed are delivered,
//   later ones never are (no exit event for an exit after that).
// - Handles are shared_ptrs and may be dropped at any time: a container
//   with a task goes on running, and a Client on its root loads it by id. A
//   container without a task yet is known only to its Client and the
//   handles held to it.
//
// Contracts:
// - Every call is thread-safe. Calls that change a container (start, kill,
//   pause, delete) take its lock in the state store, as the berth command
//   line does, so a daemon and an operator's `berth` never interleave.
// - Errors come back as a Status whose code() a caller can branch on; the
//   message names what was wrong (a JSON path, a state, an id). Status is
//   [[nodiscard]]: ignoring one is a compiler warning.
// - The library never clones a container from the calling process (it is
//   multi-threaded; clone and the setup before execve need a single thread):
//   it runs the berth binary for create and the shim runs it for exec. Reads
//   (state, stats, processes) and signals are done in-process. Which berth:
//   ClientOptions::berth_binary.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace libberth {

// ---------------------------------------------------------------- errors

enum class Code {
  kOk = 0,
  kInvalidArgument,  // bad input: spec, process, resources, id
  kNotFound,         // no such container, task or process
  kAlreadyExists,    // the id is taken
  kConflict,         // wrong state for the request (delete while running, start twice)
  kNotImplemented,   // known, not done by berth (yet)
  kInternal,         // a system call failed; the message says which
};

// leveldb's habit: a small value, ok() or a code and a message. Every
// function returning one wants it checked.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status OK() { return Status(); }
  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  bool is_not_found() const { return code_ == Code::kNotFound; }
  bool is_already_exists() const { return code_ == Code::kAlreadyExists; }
  bool is_conflict() const { return code_ == Code::kConflict; }
  bool is_invalid_argument() const { return code_ == Code::kInvalidArgument; }
  bool is_not_implemented() const { return code_ == Code::kNotImplemented; }
  const std::string& message() const { return message_; }
  // "not found: container \"x\" does not exist"
  std::string to_string() const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

// ---------------------------------------------------------------- values

// The caller's ends of a process's stdio. The library duplicates them, so
// the caller may close its own copies once the call returns; -1 means
// /dev/null. The shim pumps between these and the process, so the process
// never holds the caller's fds and stdin can be closed on request.
struct Stdio {
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
  std::string log_path;  // new_task only: the output is also appended here
};

enum class TaskStatus { kCreated, kRunning, kPaused, kStopped };
const char* status_name(TaskStatus s);

struct ExitStatus {
  int pid = 0;
  int exit_code = 0;      // 128+signal when killed by one
  int signal = 0;         // the signal that killed it, or 0
  std::string exited_at;  // RFC 3339, UTC
};

// A container's cgroup statistics (bytes, nanoseconds; limit 0: none).
struct Stats {
  uint64_t cpu_usage_ns = 0, cpu_user_ns = 0, cpu_system_ns = 0;
  uint64_t memory_usage = 0, memory_limit = 0, memory_max_usage = 0, memory_cache = 0;
  uint64_t swap_usage = 0, swap_limit = 0;
  uint64_t pids_current = 0, pids_limit = 0;
  uint64_t oom_kills = 0;
  std::map<std::string, uint64_t> memory_raw;  // memory.stat
};

// One process of a container, as `docker top` shows it.
struct ProcessInfo {
  int pid = 0;  // in the host's pid namespace
  int ppid = 0;
  unsigned uid = 0;
  uint64_t cpu_time_ns = 0;  // user + system
  uint64_t rss_bytes = 0;
  uint64_t start_time_ticks = 0;  // /proc/PID/stat field 22
  std::string command;            // argv joined by spaces
};

// ---------------------------------------------------------------- events

enum class EventType { kCreate, kStart, kExecAdded, kExecStarted, kPaused, kResumed, kOom, kExit };
const char* event_name(EventType t);

struct Event {
  EventType type = EventType::kCreate;
  std::string container_id;
  std::string process_id;  // the exec id for exec and exit events; "init" for the task
  int pid = 0;             // start, exec-started, exit
  ExitStatus exit;         // exit only
  std::string time;        // when the library saw it (RFC 3339)
};

// Called for every event. Events of one container arrive strictly in order,
// one at a time (an exit never before its start); different containers'
// events may arrive concurrently, on the library's threads. A handler that
// blocks holds up its own container's later events only. An exec sends
// exec-added and exec-started once its process runs, then its exit; an exec
// that fails sends none (as dockerd's libcontainerd). No events after the
// Client is destroyed.
using EventHandler = std::function<void(const Event&)>;

// ---------------------------------------------------------------- objects

class Process {
 public:
  virtual ~Process() = default;
  virtual const std::string& container_id() const = 0;
  virtual const std::string& id() const = 0;  // the exec id, or "init"
  virtual int pid() const = 0;
  virtual Status kill(int signal) = 0;
  // The terminal's size; kConflict without a terminal.
  virtual Status resize(unsigned width, unsigned height) = 0;
  // EOF on the process's stdin (the pipe's write end closes).
  virtual Status close_stdin() = 0;
  // Blocks until the process has exited; also after the Client is gone.
  virtual Status wait(ExitStatus* exit) = 0;
  // Forgets an exited process; kConflict while it runs.
  virtual Status remove() = 0;
};

// The container's init process and the container's lifecycle.
class Task : public Process {
 public:
  virtual Status start() = 0;
  // To every process of the container.
  virtual Status kill_all(int signal) = 0;
  virtual Status pause() = 0;
  virtual Status resume() = 0;
  virtual Status status(TaskStatus* status) = 0;
  virtual Status stats(Stats* stats) = 0;
  virtual Status processes(std::vector<ProcessInfo>* processes) = 0;
  // resources_json: a runtime-spec LinuxResources object.
  virtual Status update(const std::string& resources_json) = 0;
  // Runs process_json (a runtime-spec process) in the container, as exec_id.
  virtual Status exec(const std::string& exec_id, const std::string& process_json, const Stdio& stdio,
                      std::shared_ptr<Process>* process) = 0;
  // Removes a stopped (or never started) task: its state, cgroups, mounts.
  Status remove() override = 0;
  // Removes it whatever its state, killing what runs.
  virtual Status force_remove() = 0;
};

struct ContainerOptions {
  // The bundle directory; create_container writes config.json there. The
  // spec's root.path is taken relative to it.
  std::string bundle;
};

class Container {
 public:
  virtual ~Container() = default;
  virtual const std::string& id() const = 0;
  virtual const std::string& bundle() const = 0;
  // The sandbox the container is or belongs to ("" for none).
  virtual std::string sandbox() const = 0;
  // Creates the container and its init (parked until Task::start), with a
  // shim holding its stdio. kAlreadyExists if it has a task.
  virtual Status new_task(const Stdio& stdio, std::shared_ptr<Task>* task) = 0;
  // The task; kNotFound before new_task.
  virtual Status task(std::shared_ptr<Task>* task) = 0;
  // Forgets the container; kConflict while it has a task.
  virtual Status remove() = 0;
};

struct ClientOptions {
  std::string root = "/run/berth";  // the state root, as berth --root
  // The berth binary the library runs to create containers (the shim runs
  // the same one for exec). When "", the first of:
  //   1. $BERTH_BINARY, if set and not empty;
  //   2. the berth installed with this library: libberth.so's directory less
  //      lib/ (or lib/<multiarch>/), then bin/berth (/usr/lib/x86_64-linux-gnu
  //      /libberth.so.0 -> /usr/bin/berth; P/lib/libberth.so.0 -> P/bin/berth);
  //   3. berth on $PATH (absolute entries only).
  // Client::open fails with kInvalidArgument, naming where it looked, when
  // none is found or the one named is not executable.
  std::string berth_binary;
  // Threads delivering events (different containers' events in parallel).
  unsigned event_threads = 4;
};

class Client {
 public:
  static Status open(const ClientOptions& options, std::unique_ptr<Client>* client);
  // Stops delivering events (those already queued are delivered first) and
  // lets go of the containers, which keep running; handles the program
  // holds go on working (see "Lifetimes" above). Not from an event handler:
  // it waits for the handlers' threads.
  virtual ~Client() = default;

  // Set before creating or loading containers.
  virtual void set_event_handler(EventHandler handler) = 0;

  // Validates spec_json (errors name the JSON path), writes it to the
  // bundle and records the container; new_task makes it real.
  virtual Status create_container(const std::string& id, const std::string& spec_json, const ContainerOptions& options,
                                  std::shared_ptr<Container>* container) = 0;
  // A container that has a task in the state root (made by this library
  // before a restart, or by `berth create --shim`), reattached to its shim.
  virtual Status load_container(const std::string& id, std::shared_ptr<Container>* container) = 0;
  // The ids of the containers in the state root and those without a task yet.
  virtual Status containers(std::vector<std::string>* ids) = 0;
};

}  // namespace libberth
