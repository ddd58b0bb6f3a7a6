#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "base/crash.h"
#include "base/file.h"
#include "hooks/hooks.h"
#include "runtime/commands.h"
#include "runtime/container.h"

namespace berth::runtime {

Status start(const state::Store& store, const std::string& id, std::vector<std::string>* warnings) {
  std::string ctx = "start " + id;
  auto c = load(store, id, true);
  if (!c) return std::move(c).error().wrap(ctx);
  switch (c->status) {
    case state::Status::kCreated: break;
    case state::Status::kStopped:
      return make_error(ErrorKind::kConflict, ctx + ": cannot start a container that has stopped");
    default:
      return make_error(ErrorKind::kConflict, ctx + ": cannot start an already " +
                                                  state::status_name(c->status) + " container");
  }
  // The init holds the fifo open for reading; O_NONBLOCK makes a vanished
  // init an ENXIO instead of a hang.
  int fd = ::openat(c->dir.fd(), state::kExecFifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    Error e = sys_error("open exec fifo");
    if (e.code == ENXIO) {
      (void)::unlinkat(c->dir.fd(), state::kExecFifo, 0);
      return make_error(ErrorKind::kConflict, ctx + ": the container's init is not waiting to start");
    }
    return std::move(e).wrap(ctx);
  }
  Fd fifo(fd);
  if (::write(fd, "0", 1) != 1) return sys_error("write exec fifo").wrap(ctx);
  crash_point("start:fifo-write");
  // The init's end is close-on-exec: when it closes, the fifo has no reader
  // and poll reports POLLERR (always reported, even for events 0). Then the
  // user's process runs (or the init died), and poststart may follow.
  struct pollfd p = {fd, 0, 0};
  while (::poll(&p, 1, -1) < 0 && errno == EINTR) {
  }
  // Unlinked after the write: a crash in between leaves "created" and a retry
  // finds no reader, rather than an init that waits forever.
  if (::unlinkat(c->dir.fd(), state::kExecFifo, 0) < 0) return sys_error("remove exec fifo").wrap(ctx);
  crash_point("start:fifo-unlink");
  if (auto r = hooks::run(c->st.poststart, "poststart", oci_state_json(c->st, state::Status::kRunning, false)); !r)
    if (warnings) warnings->push_back(r.error().message);
  return {};
}

}  // namespace berth::runtime
