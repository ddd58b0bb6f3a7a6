// Forwards the shim's task events to containerd, in the order they were
// published: containerd's ttrpc Events service on $TTRPC_ADDRESS
// (containerd.services.events.ttrpc.v1.Events/Forward), as containerd 1.6's
// own shims do.
//
// Contracts:
// - publish() never blocks on containerd: events queue, one thread sends
//   them one at a time, and an event that cannot be sent (containerd is
//   restarting) is tried again, with a growing pause up to a second, until
//   it is sent; the events behind it wait, so the order holds. A task's exit
//   while containerd is down is reported once it is back.
// - flush() waits (up to a limit) until the queue is empty: the shim calls
//   it before it exits, so its last events (the delete) are not lost.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

namespace berth::containerd {

class Publisher {
 public:
  // address: containerd's ttrpc socket; ns: the namespace events carry.
  Publisher(std::string address, std::string ns);
  ~Publisher();
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  // topic "/tasks/exit", type "containerd.events.TaskExit" (the Any's type
  // url: containerd 1.6 resolves bare names), event: the serialized message.
  void publish(const std::string& topic, const std::string& type, std::string event);
  // Waits until every queued event is sent, or timeout.
  void flush(std::chrono::milliseconds timeout);

 private:
  struct Item {
    std::string envelope;  // a serialized ForwardRequest
  };
  void run();
  const std::string address_;
  const std::string ns_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  bool stopping_ = false;
  bool sending_ = false;
  std::thread thread_;
};

}  // namespace berth::containerd
