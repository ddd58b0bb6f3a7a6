#include "platform/linux/seccomp_notify.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "base/fd.h"
#include "base/scm_rights.h"

namespace berth::platform::linux_ {

std::string container_process_state(const std::string& state_json, pid_t pid, const std::string& metadata) {
  nlohmann::json j = {{"ociVersion", "1.2.0"}, {"fds", {"seccompFd"}}, {"pid", pid}};
  if (!metadata.empty()) j["metadata"] = metadata;
  j["state"] = nlohmann::json::parse(state_json);
  return j.dump();
}

Status send_seccomp_listener(const oci::Seccomp& s, const std::string& state_json, pid_t pid, int fd) {
  const std::string what = "linux.seccomp.listenerPath: " + s.listener_path;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (s.listener_path.size() >= sizeof(addr.sun_path)) return invalid(what + ": path too long for a socket");
  std::memcpy(addr.sun_path, s.listener_path.c_str(), s.listener_path.size() + 1);
  Fd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock) return sys_error("socket").wrap(what);
  if (::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
    return sys_error("connect").wrap(what);
  std::string payload = container_process_state(state_json, pid, s.listener_metadata);
  auto first = send_with_fd(sock.get(), payload, fd);
  if (!first) return std::move(first).error().wrap(what + ": send the seccomp fd");
  // A stream may take less than the whole message: send the rest plainly.
  for (size_t sent = *first; sent < payload.size();) {
    ssize_t w = ::send(sock.get(), payload.data() + sent, payload.size() - sent, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return sys_error("send the container state").wrap(what);
    sent += static_cast<size_t>(w);
  }
  return {};
}

Result<lnx::SyncMessage> sync_recv_passing_listener(int sync, const char* peer, const oci::Seccomp* s,
                                                    const std::string& state_json, pid_t pid) {
  for (;;) {
    auto m = lnx::sync_recv(sync, peer);
    if (!m || m->type != lnx::SyncType::kSeccompListener) return m;
    if (!m->fd || s == nullptr) return Error{EPROTO, "sync: a seccomp listener fd nobody asked for"};
    BERTH_TRY(send_seccomp_listener(*s, state_json, pid, m->fd.get()));
  }
}

}  // namespace berth::platform::linux_
