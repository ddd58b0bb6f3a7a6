// Delivers events: in order and one at a time per container, different
// containers in parallel on a few threads (a strand per container, as
// libcontainerd's per-container queue).
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "berth/berth.h"

namespace berth::client {

class Dispatcher {
 public:
  explicit Dispatcher(unsigned threads);
  // Delivers what is queued, then stops the threads.
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  void set_handler(libberth::EventHandler handler);
  // Queues e behind every earlier event of its container. Never blocks on
  // the handler; callers push under their own locks to fix the order.
  void push(libberth::Event e);

 private:
  struct Strand {
    std::deque<libberth::Event> queue;
    bool scheduled = false;  // in ready_ or being delivered
  };
  void work();

  std::mutex mu_;
  std::condition_variable cv_;
  libberth::EventHandler handler_;
  std::map<std::string, Strand> strands_;
  std::deque<std::string> ready_;  // containers with an event to deliver
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace berth::client
