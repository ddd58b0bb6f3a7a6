// One thread waiting on every fd the library watches (the shims' replies to
// "wait", pidfds, OOM notifications), with epoll.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "base/fd.h"

namespace berth::client {

class Watcher {
 public:
  // Called on the watcher's thread when fd is readable (or hung up); returns
  // false when done with it, and the fd is closed.
  using Handler = std::function<bool(int fd)>;

  Watcher();
  ~Watcher();  // stops; handlers not yet called never are
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  // Watches fd until its handler returns false.
  void add(Fd fd, Handler handler);

 private:
  void loop();

  Fd epoll_, wake_;
  std::mutex mu_;
  std::map<int, std::pair<Fd, std::shared_ptr<Handler>>> entries_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace berth::client
