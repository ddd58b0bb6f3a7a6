#include "containerd/publisher.h"

#include <time.h>

#include <optional>

#include "containerd/ttrpc.h"
#include "events.pb.h"

namespace berth::containerd {

Publisher::Publisher(std::string address, std::string ns) : address_(std::move(address)), ns_(std::move(ns)) {
  thread_ = std::thread([this] { run(); });
}

Publisher::~Publisher() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Publisher::publish(const std::string& topic, const std::string& type, std::string event) {
  ::containerd::events::ForwardRequest req;
  auto* env = req.mutable_envelope();
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  env->mutable_timestamp()->set_seconds(ts.tv_sec);
  env->mutable_timestamp()->set_nanos(static_cast<int32_t>(ts.tv_nsec));
  env->set_namespace_(ns_);
  env->set_topic(topic);
  env->mutable_event()->set_type_url(type);
  env->mutable_event()->set_value(std::move(event));
  {
    std::lock_guard lock(mu_);
    queue_.push_back(Item{req.SerializeAsString()});
  }
  cv_.notify_all();
}

void Publisher::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [this] { return queue_.empty() && !sending_; });
}

void Publisher::run() {
  std::optional<Client> conn;
  auto pause = std::chrono::milliseconds(10);
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, nothing left
    std::string envelope = queue_.front().envelope;
    sending_ = true;
    lock.unlock();
    bool sent = false;
    if (address_.empty()) {
      sent = true;  // nowhere to send (a shim run by hand): drop
    } else {
      if (!conn) {
        if (auto c = Client::connect(address_)) conn = std::move(*c);
      }
      if (conn) {
        auto r = conn->call("containerd.services.events.ttrpc.v1.Events", "Forward", envelope, std::chrono::seconds(5));
        // A status from containerd (it refused this event) will not change
        // on a retry: the event is dropped. A broken connection is retried.
        sent = bool(r);
        if (!r) conn.reset();
      }
    }
    lock.lock();
    sending_ = false;
    if (sent) {
      queue_.pop_front();
      pause = std::chrono::milliseconds(10);
      cv_.notify_all();
      continue;
    }
    if (stopping_) return;
    cv_.wait_for(lock, pause, [this] { return stopping_; });
    pause = std::min<std::chrono::milliseconds>(pause * 2, std::chrono::seconds(1));
  }
}

}  // namespace berth::containerd
