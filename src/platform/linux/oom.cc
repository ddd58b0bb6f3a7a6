// OOM notifications from the container's memory cgroup: a cgroup v1 eventfd
// registered against memory.oom_control, or cgroup v2's memory.events
// watched with inotify (its oom_kill count says whether to tell).
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "base/file.h"
#include "platform/linux/container.h"

namespace berth::platform::linux_ {

namespace {

class V1Watch final : public OomWatch {
 public:
  V1Watch(std::string dir, Fd control, Fd efd)
      : dir_(std::move(dir)), control_(std::move(control)), efd_(std::move(efd)) {}
  int fd() const override { return efd_.get(); }
  Seen check() override {
    uint64_t n;
    if (::read(efd_.get(), &n, sizeof n) != sizeof n) return {};
    // The eventfd also fires when the cgroup is removed: then it is done.
    if (!path_exists(dir_)) return {false, true};
    return {true, false};
  }

 private:
  std::string dir_;
  Fd control_, efd_;
};

uint64_t oom_kills(const std::string& events) {
  auto text = read_file(events);
  if (!text) return 0;
  for (const auto& line : split(*text, '\n')) {
    uint64_t v = 0;
    if (line.rfind("oom_kill ", 0) == 0 && parse_uint64(line.substr(9), v)) return v;
  }
  return 0;
}

class V2Watch final : public OomWatch {
 public:
  V2Watch(std::string events, Fd in) : events_(std::move(events)), in_(std::move(in)), seen_(oom_kills(events_)) {}
  int fd() const override { return in_.get(); }
  Seen check() override {
    alignas(inotify_event) char buf[4096];
    ssize_t n = ::read(in_.get(), buf, sizeof buf);
    bool gone = false;
    for (ssize_t off = 0; off < n;) {
      auto* ev = reinterpret_cast<inotify_event*>(buf + off);
      if (ev->mask & IN_IGNORED) gone = true;  // the cgroup was removed
      off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
    }
    uint64_t now = oom_kills(events_);
    Seen seen{now > seen_, gone};
    seen_ = now;
    return seen;
  }

 private:
  std::string events_;
  Fd in_;
  uint64_t seen_;
};

}  // namespace

Result<std::unique_ptr<OomWatch>> LinuxContainer::oom_events() {
  if (auto v1 = rec_.cgroups.find("memory"); v1 != rec_.cgroups.end()) {
    const std::string dir = v1->second;
    auto control = open_file(dir + "/memory.oom_control", O_RDONLY);
    if (!control) return std::move(control).error();
    Fd efd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!efd) return sys_error("eventfd");
    std::string reg = std::to_string(efd.get()) + " " + std::to_string(control->get());
    BERTH_TRY(write_file(dir + "/cgroup.event_control", reg));
    return std::unique_ptr<OomWatch>(std::make_unique<V1Watch>(dir, std::move(*control), std::move(efd)));
  }
  if (auto v2 = rec_.cgroups.find(""); v2 != rec_.cgroups.end()) {
    const std::string events = v2->second + "/memory.events";
    Fd in(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
    if (!in) return sys_error("inotify_init1");
    if (::inotify_add_watch(in.get(), events.c_str(), IN_MODIFY) < 0) return sys_error("inotify_add_watch " + events);
    return std::unique_ptr<OomWatch>(std::make_unique<V2Watch>(events, std::move(in)));
  }
  return std::unique_ptr<OomWatch>();
}

}  // namespace berth::platform::linux_
