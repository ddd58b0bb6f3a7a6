// berth-example: libberth from a daemon's side. Runs the bundle's container
// with its output on ours, execs a process into it, prints every event and
// the container's stats and processes, then stops and removes it.
//
//   berth-example <bundle> [state root]
//
// The bundle's config.json is used as it is (`berth spec` makes one); its
// process should keep running (e.g. "sleep 30") so there is time to exec.
#include <berth/berth.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>

namespace {

std::mutex out_mu;  // events arrive on the library's threads

void say(const std::string& line) {
  std::lock_guard lock(out_mu);
  std::cout << line << std::endl;
}

int fail(const char* what, const libberth::Status& s) {
  say(std::string("berth-example: ") + what + ": " + s.to_string());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: berth-example <bundle> [state root]\n";
    return 2;
  }
  const std::string bundle = argv[1];
  std::ifstream config(bundle + "/config.json");
  std::stringstream spec;
  spec << config.rdbuf();

  std::unique_ptr<libberth::Client> client;
  libberth::ClientOptions options;
  options.root = argc > 2 ? argv[2] : "/run/berth-example";
  if (auto s = libberth::Client::open(options, &client); !s.ok()) return fail("open", s);
  client->set_event_handler([](const libberth::Event& e) {
    std::string line = std::string("event: ") + libberth::event_name(e.type) + " " + e.container_id;
    if (e.process_id != "init") line += " exec=" + e.process_id;
    if (e.pid) line += " pid=" + std::to_string(e.pid);
    if (e.type == libberth::EventType::kExit)
      line += " exit=" + std::to_string(e.exit.exit_code) + " at " + e.exit.exited_at;
    say(line);
  });

  std::shared_ptr<libberth::Container> container;
  if (auto s = client->create_container("example", spec.str(), {.bundle = bundle}, &container); !s.ok())
    return fail("create container", s);
  std::shared_ptr<libberth::Task> task;
  if (auto s = container->new_task({.stdout_fd = 1, .stderr_fd = 2}, &task); !s.ok()) return fail("new task", s);
  if (auto s = task->start(); !s.ok()) return fail("start", s);

  const std::string process = R"json({"args":["/bin/sh","-c","echo hello from an exec in $(hostname)"],
                                  "cwd":"/","env":["PATH=/bin:/usr/bin"],"user":{"uid":0,"gid":0}})json";
  std::shared_ptr<libberth::Process> exec;
  if (auto s = task->exec("hello", process, {.stdout_fd = 1, .stderr_fd = 2}, &exec); !s.ok()) return fail("exec", s);
  libberth::ExitStatus exec_exit;
  if (auto s = exec->wait(&exec_exit); !s.ok()) return fail("wait for the exec", s);
  if (auto s = exec->remove(); !s.ok()) return fail("remove the exec", s);

  libberth::Stats stats;
  if (auto s = task->stats(&stats); s.ok())
    say("stats: cpu " + std::to_string(stats.cpu_usage_ns / 1000) + " us, memory " +
        std::to_string(stats.memory_usage / 1024) + " KiB, pids " + std::to_string(stats.pids_current));
  std::vector<libberth::ProcessInfo> procs;
  if (auto s = task->processes(&procs); s.ok())
    for (const auto& p : procs)
      say("process: pid " + std::to_string(p.pid) + " rss " + std::to_string(p.rss_bytes / 1024) + " KiB cpu " +
          std::to_string(p.cpu_time_ns / 1000) + " us: " + p.command);

  // SIGKILL: the init is pid 1 of its namespace, where TERM has no default action.
  if (auto s = task->kill(SIGKILL); !s.ok()) return fail("kill", s);
  libberth::ExitStatus exit;
  if (auto s = task->wait(&exit); !s.ok()) return fail("wait", s);
  if (auto s = task->remove(); !s.ok()) return fail("delete task", s);
  if (auto s = container->remove(); !s.ok()) return fail("remove container", s);
  client.reset();  // delivers the events still queued
  return 0;
}
