#include "linux/userns.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include "base/file.h"
#include "base/proc.h"
#include "linux/spawn.h"

namespace berth::lnx {

bool in_user_namespace() {
  static const bool inside = [] {
    auto text = read_file("/proc/self/uid_map");
    if (!text) return false;  // no user namespaces at all
    auto f = split(trim(*text), ' ');
    std::erase(f, "");
    return !(f.size() == 3 && f[0] == "0" && f[1] == "0" && f[2] == "4294967295");
  }();
  return inside;
}

std::string id_map_text(const std::vector<oci::IdMapping>& maps) {
  std::string out;
  for (const auto& m : maps)
    out += std::to_string(m.container_id) + " " + std::to_string(m.host_id) + " " + std::to_string(m.size) + "\n";
  return out;
}

namespace {

bool own_id_only(const std::vector<oci::IdMapping>& maps, uint32_t id) {
  return maps.size() == 1 && maps[0].host_id == id && maps[0].size == 1;
}

// newuidmap PID c h s [c h s ...], found in the PATH.
Status run_id_helper(const char* helper, pid_t pid, const std::vector<oci::IdMapping>& maps, const std::string& field) {
  std::vector<std::string> args = {helper, std::to_string(pid)};
  for (const auto& m : maps)
    for (uint32_t v : {m.container_id, m.host_id, m.size}) args.push_back(std::to_string(v));
  auto r = run_program(args);
  if (!r) {
    if (r.error().code == ENOENT || r.error().code == EACCES)
      return invalid(field + ": mapping more than your own id needs " + helper +
                     " (Debian's uidmap package) and entries in /etc/subuid and /etc/subgid");
    return std::move(r).error().wrap(field);
  }
  if (*r != 0)
    return invalid(field + ": " + helper + " failed (exit " + std::to_string(*r) +
                   "; are the ids in /etc/subuid and /etc/subgid?)");
  return {};
}

}  // namespace

Status write_id_maps(pid_t pid, const std::vector<oci::IdMapping>& uid_maps,
                     const std::vector<oci::IdMapping>& gid_maps) {
  std::string proc = "/proc/" + std::to_string(pid);
  if (::geteuid() == 0) {
    BERTH_TRY_CTX(write_file(proc + "/uid_map", id_map_text(uid_maps)), "linux.uidMappings: write uid_map");
    BERTH_TRY_CTX(write_file(proc + "/gid_map", id_map_text(gid_maps)), "linux.gidMappings: write gid_map");
    return {};
  }
  if (own_id_only(uid_maps, ::geteuid()))
    BERTH_TRY_CTX(write_file(proc + "/uid_map", id_map_text(uid_maps)), "linux.uidMappings: write uid_map");
  else
    BERTH_TRY(run_id_helper("newuidmap", pid, uid_maps, "linux.uidMappings"));
  if (own_id_only(gid_maps, ::getegid())) {
    BERTH_TRY_CTX(write_file(proc + "/setgroups", "deny"), "linux.gidMappings: write setgroups");
    BERTH_TRY_CTX(write_file(proc + "/gid_map", id_map_text(gid_maps)), "linux.gidMappings: write gid_map");
  } else {
    BERTH_TRY(run_id_helper("newgidmap", pid, gid_maps, "linux.gidMappings"));
  }
  return {};
}

Result<Fd> make_userns(const std::vector<oci::IdMapping>& uid_maps, const std::vector<oci::IdMapping>& gid_maps) {
  int hold[2];
  if (::pipe2(hold, O_CLOEXEC) < 0) return sys_error("pipe");
  Fd hold_r(hold[0]), hold_w(hold[1]);
  auto child = clone_child(CLONE_NEWUSER);
  if (!child) return std::move(child).error();
  if (child->pid == 0) {
    // Stay alive until the parent has what it needs: read returns at EOF.
    hold_w.reset();
    char c;
    (void)!::read(hold_r.get(), &c, 1);
    ::_exit(0);
  }
  hold_r.reset();
  std::string proc = "/proc/" + std::to_string(child->pid);
  auto finish = [&] {
    hold_w.reset();
    (void)wait_child(child->pid);
  };
  Status st = write_id_maps(child->pid, uid_maps, gid_maps);
  if (!st) {
    finish();
    return std::move(st).error().wrap("idmapped mount: write id map");
  }
  auto ns = open_file(proc + "/ns/user", O_RDONLY);
  finish();
  return ns;
}

}  // namespace berth::lnx
