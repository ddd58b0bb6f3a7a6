#include "client/watcher.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>

#include <cerrno>

namespace berth::client {

Watcher::Watcher() : epoll_(::epoll_create1(EPOLL_CLOEXEC)), wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = wake_.get();
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wake_.get(), &ev);
  thread_ = std::thread([this] { loop(); });
}

Watcher::~Watcher() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  uint64_t one = 1;
  (void)!::write(wake_.get(), &one, sizeof one);
  thread_.join();
}

void Watcher::add(Fd fd, Handler handler) {
  {
    std::lock_guard lock(mu_);
    int n = fd.get();
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = n;
    if (n >= 0 && ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, n, &ev) == 0) {
      entries_[n] = {std::move(fd), std::make_shared<Handler>(std::move(handler))};
      return;
    }
  }
  // Not watchable (never for the fds the library makes): the handler sees
  // it once, now, and takes its fallback.
  handler(fd.get());
}

void Watcher::loop() {
  epoll_event events[32];
  for (;;) {
    int n = ::epoll_wait(epoll_.get(), events, 32, -1);
    if (n < 0 && errno != EINTR) return;
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      std::shared_ptr<Handler> h;
      {
        std::lock_guard lock(mu_);
        if (stopping_) return;
        if (fd == wake_.get()) continue;
        auto it = entries_.find(fd);
        if (it == entries_.end()) continue;
        h = it->second.second;
      }
      if ((*h)(fd)) continue;
      std::lock_guard lock(mu_);
      ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
      entries_.erase(fd);
    }
    std::lock_guard lock(mu_);
    if (stopping_) return;
  }
}

}  // namespace berth::client
