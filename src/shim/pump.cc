#include "shim/pump.h"

#include <limits.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>

namespace berth::shim {

namespace {
bool ready(int fd, short events) {
  pollfd p{fd, events, 0};
  return ::poll(&p, 1, 0) > 0;
}
}  // namespace

bool write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t w = ::write(fd, data, size);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    data += w;
    size -= static_cast<size_t>(w);
  }
  return true;
}

void Pump::on_readable() {
  char buf[16384];
  ssize_t n = ::read(from.get(), buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) {
    from.reset();
    eof_ = true;
    if (pending_.empty()) to.reset();
    return;
  }
  if (log >= 0) (void)write_all(log, buf, static_cast<size_t>(n));
  if (to) pending_.append(buf, static_cast<size_t>(n));
}

void Pump::on_writable() {
  // PIPE_BUF at a time, while the destination still polls writable: a pipe
  // that does takes each chunk whole, so no write ever waits.
  for (int i = 0; i < 64 && !pending_.empty(); ++i) {
    if (i > 0 && !ready(to.get(), POLLOUT)) break;
    ssize_t n = ::write(to.get(), pending_.data(), std::min(pending_.size(), size_t{PIPE_BUF}));
    if (n > 0) {
      pending_.erase(0, static_cast<size_t>(n));
    } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
      to.reset();  // the reader has gone: its copy is lost, the log still has it
      pending_.clear();
    } else {
      break;
    }
  }
  if (pending_.empty() && eof_) to.reset();
}

void Pump::drain() {
  for (int i = 0; i < 64 && from && ready(from.get(), POLLIN); ++i) on_readable();
  for (int i = 0; i < 16 && wants_write() && ready(to.get(), POLLOUT); ++i) on_writable();
}

void Pump::finish() {
  drain();
  from.reset();
  eof_ = true;
  if (pending_.empty()) to.reset();
}

void Pump::close() {
  from.reset();
  to.reset();
  pending_.clear();
}

}  // namespace berth::shim
