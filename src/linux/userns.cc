#include "linux/userns.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include "base/file.h"
#include "linux/spawn.h"

namespace berth::lnx {

std::string id_map_text(const std::vector<oci::IdMapping>& maps) {
  std::string out;
  for (const auto& m : maps)
    out += std::to_string(m.container_id) + " " + std::to_string(m.host_id) + " " + std::to_string(m.size) + "\n";
  return out;
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
  Status st = write_file(proc + "/uid_map", id_map_text(uid_maps));
  if (st) st = write_file(proc + "/gid_map", id_map_text(gid_maps));
  if (!st) {
    finish();
    return std::move(st).error().wrap("idmapped mount: write id map");
  }
  auto ns = open_file(proc + "/ns/user", O_RDONLY);
  finish();
  return ns;
}

}  // namespace berth::lnx
