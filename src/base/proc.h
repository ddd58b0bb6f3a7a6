// Facts about processes read from /proc.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"

namespace berth {

// The start time of pid in clock ticks since boot (/proc/PID/stat field 22),
// or 0 if the process does not exist.
uint64_t process_start_time(pid_t pid);

// True if pid exists, is not a zombie, and (when start != 0) started at start.
// The start time guards against a recycled pid.
bool process_alive(pid_t pid, uint64_t start);

// The process state letter (R, S, Z, T, ...) or 0 when it is gone.
char process_state(pid_t pid);

}  // namespace berth

namespace berth {

// Sends sig to pid if it is still the process that started at `start`: the
// pidfd is taken first, so a recycled pid is never signalled.
// ESRCH (code) when the process is gone.
Status signal_process(pid_t pid, uint64_t start, int sig);

// Waits up to timeout_ms for pid to exit (a zombie counts as exited).
// ETIMEDOUT when it does not.
Status wait_exited(pid_t pid, int timeout_ms);

// The wait status waitpid(2) would have given for what waitid(2) reported.
int wait_status_of(const siginfo_t& info);

// A child of ours that has exited and is not reaped yet, left unreaped
// (waitid WNOWAIT); 0 when there is none. A subreaper looks before it reaps,
// so a process it waits for by its own path is never taken from it.
pid_t peek_exited_child();

// Reaps exactly pid (a zombie peek_exited_child() gave).
void reap_child(pid_t pid);

// The exit code a shell would report for a wait status (sys/wait.h): the
// code, 128+signal when killed, 255 for anything else.
int exit_code_of(int wait_status);

// Runs argv (argv[0] looked up in PATH) with our stdio and waits for it.
// Returns its exit code (128+signal if killed); an error with ENOENT when
// the program does not exist.
Result<int> run_program(const std::vector<std::string>& argv);

}  // namespace berth
