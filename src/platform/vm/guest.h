// The host's side of a conversation with the guest agent, through the VM
// shim's socket (platform/vm/protocol.h).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/fd.h"
#include "base/result.h"

namespace berth::vm {

// Connects to the unix socket at path.
Result<Fd> connect_unix(const std::string& path);

// What a guest berth command printed and how it ended.
struct GuestOutcome {
  int status = 0;  // wait status
  std::string out;
  std::string error;  // the error its log reported, or its stderr
};

// Runs `berth ARGV...` in the guest (against the guest's state root) and
// collects its output. kNotFound when the VM is not there (its socket
// refuses: it stopped).
Result<GuestOutcome> run_in_guest(const std::string& socket, const std::vector<std::string>& argv,
                                  int timeout_ms = 60000);
// As run_in_guest; a command that failed is an error carrying its message.
Result<std::string> guest_output(const std::string& socket, const std::vector<std::string>& argv);

// Starts `berth ARGV...` in the guest and returns the connection its
// frames come back on (a stream the caller reads with FrameReader).
Result<Fd> open_in_guest(const std::string& socket, const std::vector<std::string>& argv);

// The error a guest berth reported on stderr (JSON log lines), or the text.
std::string guest_error(const std::string& stderr_text);

// A process in the guest, stood for on the host by a `berth vm-proxy` (its
// pid is the container's pid on the host; it relays stdio, forwards
// signals and exits as the guest process exits).
struct ProxyRequest {
  std::string socket;
  std::vector<std::string> argv;  // the guest berth command that makes the process
  bool tty = false;
  int stdio[3] = {0, 1, 2};  // the host's end of the process's stdio
};

struct Proxy {
  pid_t pid = 0;
  Fd control;  // say go, then read its answer
};

// Starts the proxy, which waits until go() before it does anything (so its
// pid can be recorded first).
Result<Proxy> spawn_proxy(const ProxyRequest& req);
// Says "go" to a spawned berth (a stand-in or a VM shim) and reads its
// one-line answer: up to a newline or the end of what it wrote ("" when it
// ended without one); an error when none came within timeout_ms.
Result<std::string> say_go(Proxy& p, int timeout_ms);
// Lets it run, and waits until the guest command has made the process:
// the guest pid, or the guest's error.
Result<pid_t> go(Proxy& p, int timeout_ms);

// The berth binary to run as the VM shim and proxies: $BERTH_BINARY (set by
// berth's main before it re-executes itself), else this program when it is
// berth, else an installed berth (libberth in a daemon); "" when none is.
std::string berth_binary();

// A child that waits for "go" on fd 3 and then execs berth with args.
// detached: not our child but init's (a VM shim outlives the create, and a
// long-running libberth must not collect zombies it never waits for).
// pass_fd, when not -1, is the child's fd 4 (a VM's tap).
Result<Proxy> spawn_berth(const std::vector<std::string>& args, const int stdio[3], bool detached = false,
                          int pass_fd = -1);

int proxy_main(int argc, char** argv);

}  // namespace berth::vm
