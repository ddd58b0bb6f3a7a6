// cgroup v1 (and the hybrid layout: v1 controllers plus a cgroup2 directory
// for whatever the v2 tree holds, e.g. hugetlb on our own machines).
#include <sys/stat.h>

#include "base/crash.h"
#include "base/file.h"
#include "cgroups/devices.h"
#include "cgroups/files.h"
#include "cgroups/manager.h"
#include "cgroups/v2.h"

namespace berth::cgroups {

namespace {

const std::string kRes = "linux.resources.";

std::string num(int64_t v) { return std::to_string(v); }
std::string unum(uint64_t v) { return std::to_string(v); }
std::string devnum(int64_t major, int64_t minor) { return num(major) + ":" + num(minor); }

class V1Manager : public Manager {
 public:
  V1Manager(const Layout& layout, Paths paths) : Manager(std::move(paths)), layout_(layout) {}

  Status create() override {
    for (const auto& [key, dir] : paths_) {
      if (auto r = mkdir_all(dir, 0755); !r) return std::move(r).error().wrap("create cgroup");
      crash_point("create:cgroup", key.empty() ? "unified" : key);
    }
    // A new cpuset has no cpus or mems, and refuses tasks until it has some.
    if (std::string cs = dir_of("cpuset"); !cs.empty()) BERTH_TRY(fill_cpuset(cs));
    return {};
  }

  Status set(const oci::Resources& r) override {
    if (r.memory) BERTH_TRY(set_memory(*r.memory));
    if (r.cpu) BERTH_TRY(set_cpu(*r.cpu));
    if (r.pids && r.pids->limit) {
      BERTH_TRY(need("pids", "pids"));
      int64_t l = *r.pids->limit;
      BERTH_TRY(write_value(dir_of("pids"), "pids.max", l > 0 ? num(l) : "max", kRes + "pids.limit"));
    }
    if (r.block_io) BERTH_TRY(set_blkio(*r.block_io));
    for (size_t i = 0; i < r.hugepage_limits.size(); ++i) BERTH_TRY(set_hugetlb(r.hugepage_limits[i], i));
    if (r.network) BERTH_TRY(set_network(*r.network));
    for (const auto& [dev, limit] : r.rdma) {
      BERTH_TRY(need("rdma", "rdma"));
      BERTH_TRY(write_value(dir_of("rdma"), "rdma.max", rdma_line(dev, limit), kRes + "rdma." + dev));
    }
    if (!r.unified.empty()) {
      auto it = paths_.find("");
      if (it == paths_.end()) return invalid(kRes + "unified: needs cgroup v2, and this host has cgroup v1 only");
      for (const auto& [file, value] : r.unified)
        if (file.find('/') != std::string::npos || file.find("..") != std::string::npos)
          return invalid(kRes + "unified." + file + ": not a cgroup file name");
      enable_controllers(it->second);
      for (const auto& [file, value] : r.unified)
        BERTH_TRY(write_value(it->second, file, value, kRes + "unified." + file));
    }
    if (!r.devices.empty()) {
      BERTH_TRY(need("devices", "devices"));
      for (const auto& line : v1_device_lines(r.devices)) {
        const char* file = line.first ? "devices.allow" : "devices.deny";
        BERTH_TRY(write_value(dir_of("devices"), file, line.second, kRes + "devices"));
      }
    }
    return {};
  }

  Status add(pid_t pid) override {
    for (const auto& [key, dir] : paths_) {
      if (auto r = write_file(path_join(dir, "cgroup.procs"), std::to_string(pid)); !r)
        return std::move(r).error().wrap("join cgroup");
    }
    return {};
  }

  Status freeze(bool frozen) override {
    std::string dir = dir_of("freezer");
    if (dir.empty()) return make_error(ErrorKind::kNotImplemented, "no freezer cgroup on this host");
    const char* want = frozen ? "FROZEN" : "THAWED";
    BERTH_TRY(write_value(dir, "freezer.state", want, frozen ? "pause" : "resume"));
    // FREEZING until every task stopped; a task in an uninterruptible sleep
    // can hold it there, so ask again while waiting, as runc does.
    for (int i = 0; i < 1000; ++i) {
      std::string got = read_value(dir, "freezer.state");
      if (got == want) return {};
      if (i % 10 == 9) (void)write_value(dir, "freezer.state", want, "");
      ::usleep(1000);
    }
    return Error{ETIMEDOUT, "freezer of " + dir + " did not reach " + want};
  }

  bool frozen() const override {
    std::string dir = dir_of("freezer");
    return !dir.empty() && read_value(dir, "freezer.state") == "FROZEN";
  }

  Result<std::vector<pid_t>> pids() const override {
    for (const char* c : {"pids", "freezer", "memory", "cpu", "devices"}) {
      std::string dir = dir_of(c);
      if (!dir.empty() && path_exists(dir)) return read_pids(dir);
    }
    for (const auto& [key, dir] : paths_)
      if (path_exists(dir)) return read_pids(dir);
    return std::vector<pid_t>{};
  }

  Result<Stats> stats() const override {
    Stats s;
    if (std::string m = dir_of("memory"); !m.empty()) {
      s.memory_usage = read_u64(m, "memory.usage_in_bytes");
      s.memory_limit = read_u64(m, "memory.limit_in_bytes");
      s.memory_max_usage = read_u64(m, "memory.max_usage_in_bytes");
      s.memory_failcnt = read_u64(m, "memory.failcnt");
      s.swap_usage = read_u64(m, "memory.memsw.usage_in_bytes");
      s.swap_limit = read_u64(m, "memory.memsw.limit_in_bytes");
      s.memory_raw = read_keyed(m, "memory.stat");
      s.memory_cache = s.memory_raw["cache"];
      s.oom_kills = read_keyed(m, "memory.oom_control")["oom_kill"];
    }
    if (std::string c = dir_of("cpuacct"); !c.empty()) {
      s.cpu_usage_ns = read_u64(c, "cpuacct.usage");
      auto st = read_keyed(c, "cpuacct.stat");  // in USER_HZ ticks
      long hz = ::sysconf(_SC_CLK_TCK);
      s.cpu_user_ns = st["user"] * (1000000000ULL / static_cast<uint64_t>(hz));
      s.cpu_system_ns = st["system"] * (1000000000ULL / static_cast<uint64_t>(hz));
    }
    if (std::string p = dir_of("pids"); !p.empty()) {
      s.pids_current = read_u64(p, "pids.current");
      s.pids_limit = read_u64(p, "pids.max");
    }
    return s;
  }

  std::string clone_dir() const override { return ""; }  // v1 tasks are moved after clone

 private:
  // The directory of the hierarchy holding controller, "" when there is none.
  std::string dir_of(const std::string& controller) const {
    const Hierarchy* h = layout_.find(controller);
    if (h == nullptr) return "";
    auto it = paths_.find(h->key);
    return it == paths_.end() ? "" : it->second;
  }

  Status need(const std::string& controller, const std::string& field) const {
    if (dir_of(controller).empty())
      return invalid(kRes + field + ": the " + controller + " controller is not mounted on this host");
    return {};
  }

  Status fill_cpuset(const std::string& dir) {
    // Walk up to the first ancestor with values, then copy them down.
    std::vector<std::string> chain;
    for (std::string d = dir;; d.resize(d.rfind('/'))) {
      chain.push_back(d);
      if (!read_value(d, "cpuset.cpus").empty() || d.rfind('/') == 0) break;
    }
    for (size_t i = chain.size() - 1; i-- > 0;) {
      for (const char* f : {"cpuset.cpus", "cpuset.mems"}) {
        if (!read_value(chain[i], f).empty()) continue;
        BERTH_TRY(write_value(chain[i], f, read_value(chain[i + 1], f), "cpuset"));
      }
    }
    return {};
  }

  Status set_memory(const oci::Memory& m) {
    BERTH_TRY(need("memory", "memory"));
    std::string dir = dir_of("memory");
    const std::string f = kRes + "memory.";
    int64_t limit = m.limit.value_or(0), swap = m.swap.value_or(0);
    bool memsw = path_exists(path_join(dir, "memory.memsw.limit_in_bytes"));
    // Unlimited memory means unlimited swap too, where there is swap
    // accounting (runc: a host without it still takes limit -1).
    if (limit == -1 && swap == 0 && memsw) swap = -1;
    if (swap != 0 && !memsw)
      return invalid(f + "swap: this kernel has no swap accounting (memory.memsw.limit_in_bytes)");
    auto write_limit = [&] { return write_value(dir, "memory.limit_in_bytes", num(limit), f + "limit"); };
    auto write_swap = [&] { return write_value(dir, "memory.memsw.limit_in_bytes", num(swap), f + "swap"); };
    // memsw >= limit always holds in the kernel: order the writes so it does
    // between them too.
    if (limit != 0 && swap != 0) {
      uint64_t cur = read_u64(dir, "memory.limit_in_bytes");
      if (swap == -1 || cur < static_cast<uint64_t>(swap)) {
        BERTH_TRY(write_swap());
        BERTH_TRY(write_limit());
      } else {
        BERTH_TRY(write_limit());
        BERTH_TRY(write_swap());
      }
    } else if (limit != 0) {
      BERTH_TRY(write_limit());
    } else if (swap != 0) {
      BERTH_TRY(write_swap());
    }
    if (m.reservation && *m.reservation != 0)
      BERTH_TRY(write_value(dir, "memory.soft_limit_in_bytes", num(*m.reservation), f + "reservation"));
    if (m.kernel_tcp && *m.kernel_tcp != 0)
      BERTH_TRY(write_value(dir, "memory.kmem.tcp.limit_in_bytes", num(*m.kernel_tcp), f + "kernelTCP"));
    if (m.swappiness && *m.swappiness <= 100)
      BERTH_TRY(write_value(dir, "memory.swappiness", unum(*m.swappiness), f + "swappiness"));
    if (m.disable_oom_killer && *m.disable_oom_killer)
      BERTH_TRY(write_value(dir, "memory.oom_control", "1", f + "disableOOMKiller"));
    // memory.kernel: deprecated by the spec and ignored by runc; the kernel no
    // longer enforces it. memory.useHierarchy: always on in current kernels.
    return {};
  }

  Status set_cpu(const oci::Cpu& c) {
    const std::string f = kRes + "cpu.";
    if (c.shares || c.quota || c.period || c.burst || c.realtime_period || c.realtime_runtime || c.idle)
      BERTH_TRY(need("cpu", "cpu"));
    std::string dir = dir_of("cpu");
    if (c.shares && *c.shares != 0) BERTH_TRY(write_value(dir, "cpu.shares", unum(*c.shares), f + "shares"));
    // The period first: a quota is checked against it. But a period smaller
    // than the current one can be refused (EINVAL: old quota / new period
    // exceeds a parent's limit) until the new quota is in; then the quota
    // goes first and the period after, as runc does (the kubelet resizes
    // pods with both).
    bool period_late = false;
    if (c.period && *c.period != 0) {
      auto r = write_value(dir, "cpu.cfs_period_us", unum(*c.period), f + "period");
      if (!r && (r.error().code != EINVAL || !c.quota || *c.quota == 0)) return std::move(r).error();
      period_late = !r;
    }
    if (c.quota && *c.quota != 0) BERTH_TRY(write_value(dir, "cpu.cfs_quota_us", num(*c.quota), f + "quota"));
    if (period_late) BERTH_TRY(write_value(dir, "cpu.cfs_period_us", unum(*c.period), f + "period"));
    if (c.burst) BERTH_TRY(write_value(dir, "cpu.cfs_burst_us", unum(*c.burst), f + "burst"));
    if (c.realtime_period && *c.realtime_period != 0)
      BERTH_TRY(write_value(dir, "cpu.rt_period_us", unum(*c.realtime_period), f + "realtimePeriod"));
    if (c.realtime_runtime && *c.realtime_runtime != 0)
      BERTH_TRY(write_value(dir, "cpu.rt_runtime_us", num(*c.realtime_runtime), f + "realtimeRuntime"));
    if (c.idle) BERTH_TRY(write_value(dir, "cpu.idle", num(*c.idle), f + "idle"));
    if (!c.cpus.empty() || !c.mems.empty()) {
      BERTH_TRY(need("cpuset", "cpu.cpus"));
      if (!c.cpus.empty()) BERTH_TRY(write_value(dir_of("cpuset"), "cpuset.cpus", c.cpus, f + "cpus"));
      if (!c.mems.empty()) BERTH_TRY(write_value(dir_of("cpuset"), "cpuset.mems", c.mems, f + "mems"));
    }
    return {};
  }

  Status set_blkio(const oci::BlockIo& b) {
    BERTH_TRY(need("blkio", "blockIO"));
    std::string dir = dir_of("blkio");
    const std::string f = kRes + "blockIO.";
    // Kernels with BFQ only have the bfq files.
    bool bfq = !path_exists(path_join(dir, "blkio.weight"));
    std::string weight_file = bfq ? "blkio.bfq.weight" : "blkio.weight";
    if (b.weight && *b.weight != 0) BERTH_TRY(write_value(dir, weight_file, unum(*b.weight), f + "weight"));
    if (b.leaf_weight && *b.leaf_weight != 0)
      BERTH_TRY(write_value(dir, "blkio.leaf_weight", unum(*b.leaf_weight), f + "leafWeight"));
    for (size_t i = 0; i < b.weight_device.size(); ++i) {
      const auto& d = b.weight_device[i];
      std::string field = f + "weightDevice[" + std::to_string(i) + "]";
      if (d.weight)
        BERTH_TRY(write_value(dir, bfq ? "blkio.bfq.weight_device" : "blkio.weight_device",
                              devnum(d.major, d.minor) + " " + unum(*d.weight), field));
      if (d.leaf_weight)
        BERTH_TRY(
            write_value(dir, "blkio.leaf_weight_device", devnum(d.major, d.minor) + " " + unum(*d.leaf_weight), field));
    }
    struct Throttle {
      const std::vector<oci::ThrottleDevice>* list;
      const char* file;
      const char* name;
    };
    const Throttle throttles[] = {
        {&b.throttle_read_bps_device, "blkio.throttle.read_bps_device", "throttleReadBpsDevice"},
        {&b.throttle_write_bps_device, "blkio.throttle.write_bps_device", "throttleWriteBpsDevice"},
        {&b.throttle_read_iops_device, "blkio.throttle.read_iops_device", "throttleReadIOPSDevice"},
        {&b.throttle_write_iops_device, "blkio.throttle.write_iops_device", "throttleWriteIOPSDevice"},
    };
    for (const auto& t : throttles)
      for (size_t i = 0; i < t.list->size(); ++i) {
        const auto& d = (*t.list)[i];
        BERTH_TRY(write_value(dir, t.file, devnum(d.major, d.minor) + " " + unum(d.rate),
                              f + t.name + "[" + std::to_string(i) + "]"));
      }
    return {};
  }

  Status set_hugetlb(const oci::HugepageLimit& h, size_t i) {
    std::string field = kRes + "hugepageLimits[" + std::to_string(i) + "]";
    if (std::string dir = dir_of("hugetlb"); !dir.empty()) {
      bool rsvd = false;
      std::string size = hugepage_size(h.page_size, rsvd);
      return write_value(dir, "hugetlb." + size + (rsvd ? ".rsvd" : "") + ".limit_in_bytes", unum(h.limit), field);
    }
    // The hybrid layout may hold hugetlb in its cgroup2 tree.
    auto it = paths_.find("");
    if (it != paths_.end()) {
      // Only now: delegating a controller changes the tree above us.
      enable_controllers(it->second);
      return write_hugetlb_v2(it->second, h, field);
    }
    return invalid(field + ": the hugetlb controller is not mounted on this host");
  }

  Status set_network(const oci::Network& n) {
    const std::string f = kRes + "network.";
    if (n.class_id) {
      BERTH_TRY(need("net_cls", "network.classID"));
      BERTH_TRY(write_value(dir_of("net_cls"), "net_cls.classid", unum(*n.class_id), f + "classID"));
    }
    for (size_t i = 0; i < n.priorities.size(); ++i) {
      BERTH_TRY(need("net_prio", "network.priorities"));
      BERTH_TRY(write_value(dir_of("net_prio"), "net_prio.ifpriomap",
                            n.priorities[i].name + " " + unum(n.priorities[i].priority),
                            f + "priorities[" + std::to_string(i) + "]"));
    }
    return {};
  }

  Layout layout_;
};

}  // namespace

std::unique_ptr<Manager> make_v1_manager(const Layout& layout, const Paths& paths) {
  return std::make_unique<V1Manager>(layout, paths);
}

}  // namespace berth::cgroups
