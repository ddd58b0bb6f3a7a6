// The sync protocol between berth (the parent) and the container's init
// between clone and execve. A SOCK_SEQPACKET socketpair: one datagram per
// message, so a message is never split or merged.
//
//   parent                          init
//   ------                          ----
//   clone ------------------------> (waits)
//   uid/gid maps, cgroup, state
//   kGo{state} -------------------> sets up namespaces, mounts
//   moves it into its cgroups
//   kCgroups ---------------------> (waited for before any hook or user code)
//                  <--------------- kHooks     (only when prestart/createRuntime hooks exist)
//   runs those hooks
//   kHooksDone -------------------> createContainer hooks, pivot_root, process
//                  <--------------- kReady   (or kError{errno, text}, then exits)
//   create: exits; start opens the exec fifo later
//   run:    kStart ---------------> execve
//
// If the parent dies, init reads EOF and exits: nothing is left running.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/fd.h"
#include "base/result.h"

namespace berth::lnx {

enum class SyncType : uint32_t {
  kGo = 1,               // parent -> init: the parent's set-up is done, go on
  kReady = 2,            // init -> parent: the container is set up; init waits to exec
  kStart = 3,            // parent -> init: exec the user's process now (run)
  kError = 4,            // init -> parent: set-up failed; errno and message follow
  kHooks = 5,            // init -> parent: namespaces and mounts are ready; run prestart and
                         // createRuntime hooks now (before pivot_root)
  kHooksDone = 6,        // parent -> init: they succeeded, go on
  kCgroups = 7,          // parent -> init: the init is in its cgroups
  kSeccompListener = 8,  // child -> parent: the seccomp notify fd (SCM_RIGHTS), for
                         // the spec's listenerPath; sent before kReady
};

struct SyncMessage {
  SyncType type = SyncType::kError;
  int32_t err = 0;
  std::string text;
  Fd fd;                                  // a descriptor passed with the message, if any
  ErrorKind kind = ErrorKind::kInternal;  // of a kError: the init's error keeps its kind

  // A kError message as the Error the init had.
  Error as_error() && { return Error{err, std::move(text), kind}; }
};

struct SyncPair {
  Fd parent;
  Fd child;
};

Result<SyncPair> make_sync_pair();

Status sync_send(int fd, SyncType type, int32_t err = 0, std::string_view text = {},
                 ErrorKind kind = ErrorKind::kInternal);

// Sends a message carrying fd (SCM_RIGHTS).
Status sync_send_fd(int sock, SyncType type, int fd);

// Receives one message. EOF (the peer exited) is an error naming `peer`.
Result<SyncMessage> sync_recv(int fd, const char* peer);

// Receives one message and checks it is `want`. A kError message becomes an
// Error carrying the init's errno and text.
Status sync_expect(int fd, SyncType want, const char* peer);

// Sent by init on failure: the error, then the caller _exits.
void sync_send_error(int fd, const Error& e);

}  // namespace berth::lnx
