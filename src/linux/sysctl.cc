#include "linux/sysctl.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include <optional>

#include "base/file.h"
#include "linux/resolve.h"
#include "oci/validate.h"

namespace berth::lnx {

namespace {

constexpr const char* kIpcKeys[] = {"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
                                    "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"};

// "net.ipv4.ip_forward" or "net/ipv4/ip_forward" -> "net/ipv4/ip_forward".
// A slash-separated key keeps its dots (an interface named "eth0.100").
std::string key_path(const std::string& key) {
  if (key.find('/') != std::string::npos) return key;
  std::string rel = key;
  for (char& c : rel)
    if (c == '.') c = '/';
  return rel;
}

// The dotted form, for deciding which namespace a key belongs to.
std::string key_name(const std::string& key) {
  std::string name = key;
  for (char& c : name)
    if (c == '/') c = '.';
  return name;
}

bool has_ns(const oci::Linux& lx, oci::NamespaceType t) { return lx.find_namespace(t) != nullptr; }

// "Host" is the runtime's own network namespace, as in runc.
Result<bool> joins_own_netns(const oci::Linux& lx) {
  const oci::Namespace* net = lx.find_namespace(oci::NamespaceType::kNetwork);
  if (!net) return true;
  if (net->path.empty()) return false;
  struct stat theirs, ours;
  if (::stat(net->path.c_str(), &theirs) < 0) return sys_error("linux.sysctl: network namespace " + net->path);
  if (::stat("/proc/self/ns/net", &ours) < 0) return sys_error("stat /proc/self/ns/net");
  return theirs.st_dev == ours.st_dev && theirs.st_ino == ours.st_ino;
}

Status check_key(const std::string& key) {
  std::string where = "linux.sysctl: " + oci::quote(key);
  if (key.empty() || key.front() == '/' || key.front() == '.') return invalid(where + ": invalid name");
  for (const std::string& c : split(key_path(key), '/'))
    if (c.empty() || c == "..") return invalid(where + ": invalid name");
  return {};
}

}  // namespace

Status check_sysctls(const oci::Linux& lx) {
  std::optional<bool> host_net;
  for (const auto& [key, value] : lx.sysctl) {
    BERTH_TRY(check_key(key));
    std::string name = key_name(key);
    std::string where = "linux.sysctl: " + oci::quote(key);
    bool ipc = name.starts_with("fs.mqueue.");
    for (const char* k : kIpcKeys) ipc = ipc || name == k;
    if (ipc) {
      if (has_ns(lx, oci::NamespaceType::kIpc)) continue;
      return invalid(where + " is not allowed in the host's ipc namespace");
    }
    if (name.starts_with("net.")) {
      if (!host_net) {
        auto h = joins_own_netns(lx);
        if (!h) return std::move(h).error();
        host_net = *h;
      }
      if (!*host_net) continue;
      return invalid(where + " is not allowed in the host's network namespace");
    }
    if (has_ns(lx, oci::NamespaceType::kUts)) {
      if (name == "kernel.domainname") continue;
      if (name == "kernel.hostname")
        return invalid(where + " is not allowed: it conflicts with the \"hostname\" field");
    }
    return invalid(where + " is not in a separate kernel namespace");
  }
  return {};
}

Status write_sysctls(const std::map<std::string, std::string>& sysctl) {
  if (sysctl.empty()) return {};
  auto proc = open_file("/proc", O_PATH | O_DIRECTORY | O_NOFOLLOW);
  if (!proc) return std::move(proc).error().wrap("linux.sysctl");
  struct statfs fs;
  if (::fstatfs(proc->get(), &fs) < 0) return sys_error("linux.sysctl: statfs /proc");
  if (fs.f_type != PROC_SUPER_MAGIC) return invalid("linux.sysctl: /proc in the container is not procfs");
  for (const auto& [key, value] : sysctl) {
    std::string rel = "sys/" + key_path(key);
    std::string where = "linux.sysctl: " + oci::quote(key);
    auto fd = open_beneath(proc->get(), rel, O_WRONLY);
    if (!fd) return std::move(fd).error().wrap(where);
    if (::fstatfs(fd->get(), &fs) < 0) return sys_error(where + ": statfs");
    if (fs.f_type != PROC_SUPER_MAGIC) return invalid(where + ": /proc/" + rel + " is not on procfs");
    ssize_t n = ::write(fd->get(), value.data(), value.size());
    if (n < 0) return sys_error(where + ": write /proc/" + rel);
  }
  return {};
}

}  // namespace berth::lnx
