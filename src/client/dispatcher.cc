#include "client/dispatcher.h"

namespace berth::client {

Dispatcher::Dispatcher(unsigned threads) {
  for (unsigned i = 0; i < std::max(threads, 1u); ++i) threads_.emplace_back([this] { work(); });
}

Dispatcher::~Dispatcher() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void Dispatcher::set_handler(libberth::EventHandler handler) {
  std::lock_guard lock(mu_);
  handler_ = std::move(handler);
}

void Dispatcher::push(libberth::Event e) {
  std::lock_guard lock(mu_);
  std::string id = e.container_id;
  Strand& s = strands_[id];
  s.queue.push_back(std::move(e));
  if (!s.scheduled) {
    s.scheduled = true;
    ready_.push_back(id);
    cv_.notify_one();
  }
}

void Dispatcher::work() {
  std::unique_lock lock(mu_);
  for (;;) {
    // Stopping waits for the queues to empty: nothing queued is lost.
    cv_.wait(lock, [this] { return !ready_.empty() || (stopping_ && strands_.empty()); });
    if (ready_.empty()) return;
    std::string id = std::move(ready_.front());
    ready_.pop_front();
    Strand& s = strands_[id];
    libberth::Event e = std::move(s.queue.front());
    s.queue.pop_front();
    libberth::EventHandler handler = handler_;
    lock.unlock();
    if (handler) handler(e);
    lock.lock();
    // The strand stays scheduled while its event is delivered, so no other
    // thread takes the next one early; then it goes to the back of the line.
    Strand& after = strands_[id];
    if (after.queue.empty()) {
      strands_.erase(id);
      if (stopping_ && strands_.empty()) cv_.notify_all();
    } else {
      ready_.push_back(id);
      cv_.notify_one();
    }
  }
}

}  // namespace berth::client
