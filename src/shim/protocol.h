// The shim's control socket: how libberth (or anyone holding the state
// directory) talks to a container's shim.
//
// The socket is <state dir>/shim.sock, SOCK_SEQPACKET: one request per
// message, one reply per request. "wait", "exec" and "start" are answered
// when the process exits or has started, so later requests on the same
// connection may be answered first: libberth uses a connection per request. Replies are sent
// without waiting; a client that does not read them loses them. Words are
// separated by single spaces; fds travel with SCM_RIGHTS. <key> names a
// process of the container: "init", or the id an exec was given.
//
//   wait <key>                      -> exit <pid> <exitCode> <signal> <exitedAt>
//                                      (sent once the process has exited)
//   kill <key> <signal>             -> ok
//   resize <key> <width> <height>   -> ok        (a process with a terminal)
//   close-stdin <key>               -> ok
//   exec <key> <flags> <process>    -> started <pid>
//       flags: any of i o e (fds for stdin, stdout, stderr follow, in that
//       order) and t (process.terminal), or "-"; process: the JSON
//   start init                      -> ok        (once `berth start` has run)
//       the shim runs the start, so that what it makes is the shim's: a
//       platform whose init is created at start (Windows HCS). One at a
//       time; kConflict once the init has exited.
//   delete <key>                    -> ok        (forget an exited exec)
//   any failure                     -> error <errno> <kind> <message>
//
// Paths: sun_path holds 108 bytes and a state directory may be longer, so
// both ends reach the socket through an open fd of the directory
// (/proc/self/fd/N/shim.sock).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace berth::shim {

inline constexpr const char* kSocketFile = "shim.sock";
inline constexpr const char* kInitKey = "init";
inline constexpr size_t kMaxMessage = 1 << 20;

// The exit record of a process: exit.json for the init, exit.<key>.json for
// an exec'd process.
std::string exit_file(std::string_view key);

// Checks an exec key: the container id alphabet, not "init".
Status validate_key(std::string_view key);

// Splits a message into at most max words (the last takes the rest).
std::vector<std::string_view> words(std::string_view msg, size_t max);

// "error <errno> <kind> <message>" and back.
std::string encode_error(const Error& e);
Error decode_error(std::string_view reply);

}  // namespace berth::shim
