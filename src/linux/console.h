// Terminals: the pty a container's process gets when process.terminal is set,
// handed to the caller over --console-socket exactly as runc does (the master
// fd in one SCM_RIGHTS message, no reply), or proxied by berth itself when
// `run`/`exec` stay in the foreground without a console socket.
#pragma once

#include <optional>
#include <string>

#include "base/fd.h"
#include "base/result.h"
#include "oci/spec.h"

namespace berth::lnx {

// Connects to the caller's console socket (a unix stream socket path).
Result<Fd> connect_console_socket(const std::string& path);

// In the container, after pivot_root: opens a pty on the container's devpts
// (/dev/ptmx), sets its size, sends the master over console_sock, and makes
// the slave the process's controlling terminal and stdio. With console true
// the slave is also bind-mounted on /dev/console (the init's terminal).
Status setup_terminal(int console_sock, const std::optional<oci::ConsoleSize>& size, bool console);

// Receives the master fd sent by setup_terminal().
Result<Fd> recv_pty_master(int console_sock);

}  // namespace berth::lnx
