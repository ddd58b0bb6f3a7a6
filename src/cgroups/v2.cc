#include "cgroups/v2.h"

#include <sys/stat.h>
#include <unistd.h>

#include "base/crash.h"
#include "base/file.h"
#include "cgroups/device_filter.h"
#include "cgroups/devices.h"
#include "cgroups/files.h"

namespace berth::cgroups {

uint64_t shares_to_weight(uint64_t shares) {
  if (shares == 0) return 0;
  return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t blkio_to_io_weight(uint64_t weight) {
  if (weight == 0) return 0;
  return 1 + (weight - 10) * 9999 / 990;
}

std::string cpu_max(std::optional<int64_t> quota, std::optional<uint64_t> period) {
  std::string q = quota && *quota > 0 ? std::to_string(*quota) : "max";
  if (period && *period != 0) return q + " " + std::to_string(*period);
  return q;
}

Result<std::string> swap_max(int64_t limit, int64_t swap) {
  if (swap == -1) return std::string("max");
  if (limit <= 0) return invalid("linux.resources.memory.swap: needs memory.limit on cgroup v2");
  if (swap < limit)
    return invalid("linux.resources.memory.swap: " + std::to_string(swap) + " is below memory.limit " +
                   std::to_string(limit) + " (swap counts memory plus swap)");
  return std::to_string(swap - limit);
}

std::string hugepage_size(const std::string& page_size, bool& rsvd) {
  rsvd = page_size.rfind("rsvd.", 0) == 0;
  return rsvd ? page_size.substr(5) : page_size;
}

Status write_hugetlb_v2(const std::string& dir, const oci::HugepageLimit& h, const std::string& field) {
  bool rsvd = false;
  std::string size = hugepage_size(h.page_size, rsvd);
  return write_value(dir, "hugetlb." + size + (rsvd ? ".rsvd" : "") + ".max", std::to_string(h.limit), field);
}

std::string rdma_line(const std::string& device, const oci::Rdma& r) {
  std::string line = device;
  line += " hca_handle=" + (r.hca_handles ? std::to_string(*r.hca_handles) : "max");
  line += " hca_object=" + (r.hca_objects ? std::to_string(*r.hca_objects) : "max");
  return line;
}

void enable_controllers(const std::string& dir) {
  auto parent = [](const std::string& d) { return d.substr(0, d.rfind('/')); };
  std::vector<std::string> chain;  // the mount's root first
  for (std::string d = parent(dir); !d.empty() && path_exists(path_join(d, "cgroup.controllers")); d = parent(d))
    chain.insert(chain.begin(), d);
  for (const auto& d : chain) {
    for (const auto& c : split(read_value(d, "cgroup.controllers"), ' ')) {
      if (!c.empty()) (void)write_file(path_join(d, "cgroup.subtree_control"), "+" + c);
    }
  }
}

namespace {

const std::string kRes = "linux.resources.";

class V2Manager : public Manager {
 public:
  explicit V2Manager(Paths paths) : Manager(std::move(paths)), dir_(paths_.at("")) {}

  Status create() override {
    if (auto r = mkdir_all(dir_, 0755); !r) return std::move(r).error().wrap("create cgroup");
    crash_point("create:cgroup", "unified");
    enable_controllers(dir_);
    return {};
  }

  Status set(const oci::Resources& r) override {
    if (r.memory) BERTH_TRY(set_memory(*r.memory));
    if (r.cpu) BERTH_TRY(set_cpu(*r.cpu));
    if (r.pids && r.pids->limit) {
      int64_t l = *r.pids->limit;
      BERTH_TRY(write_value(dir_, "pids.max", l > 0 ? std::to_string(l) : "max", kRes + "pids.limit"));
    }
    if (r.block_io) BERTH_TRY(set_io(*r.block_io));
    for (size_t i = 0; i < r.hugepage_limits.size(); ++i)
      BERTH_TRY(write_hugetlb_v2(dir_, r.hugepage_limits[i], kRes + "hugepageLimits[" + std::to_string(i) + "]"));
    if (r.network && (r.network->class_id || !r.network->priorities.empty()))
      return invalid(kRes + "network: net_cls and net_prio do not exist on cgroup v2");
    for (const auto& [dev, limit] : r.rdma)
      BERTH_TRY(write_value(dir_, "rdma.max", rdma_line(dev, limit), kRes + "rdma." + dev));
    for (const auto& [file, value] : r.unified) {
      if (file.find('/') != std::string::npos || file.find("..") != std::string::npos)
        return invalid(kRes + "unified." + file + ": not a cgroup file name");
      BERTH_TRY(write_value(dir_, file, value, kRes + "unified." + file));
    }
    if (!r.devices.empty())
      BERTH_TRY(attach_device_filter(dir_, device_filter_program(effective_device_rules(r.devices))));
    return {};
  }

  Status add(pid_t pid) override {
    if (auto r = write_file(path_join(dir_, "cgroup.procs"), std::to_string(pid)); !r)
      return std::move(r).error().wrap("join cgroup");
    return {};
  }

  Status freeze(bool frozen) override {
    BERTH_TRY(write_value(dir_, "cgroup.freeze", frozen ? "1" : "0", frozen ? "pause" : "resume"));
    for (int i = 0; i < 10000; ++i) {
      if (read_keyed(dir_, "cgroup.events")["frozen"] == (frozen ? 1u : 0u)) return {};
      ::usleep(1000);
    }
    return Error{ETIMEDOUT, "cgroup " + dir_ + " did not " + (frozen ? "freeze" : "thaw")};
  }

  bool frozen() const override { return read_value(dir_, "cgroup.freeze") == "1"; }

  Result<std::vector<pid_t>> pids() const override {
    if (!path_exists(dir_)) return std::vector<pid_t>{};
    return read_pids(dir_);
  }

  Result<Stats> stats() const override {
    Stats s;
    s.memory_usage = read_u64(dir_, "memory.current");
    s.memory_limit = read_u64(dir_, "memory.max");
    s.memory_max_usage = read_u64(dir_, "memory.peak");
    s.swap_usage = read_u64(dir_, "memory.swap.current");
    s.swap_limit = read_u64(dir_, "memory.swap.max");
    s.memory_raw = read_keyed(dir_, "memory.stat");
    s.memory_cache = s.memory_raw["file"];
    s.oom_kills = read_keyed(dir_, "memory.events")["oom_kill"];
    auto cpu = read_keyed(dir_, "cpu.stat");
    s.cpu_usage_ns = cpu["usage_usec"] * 1000;
    s.cpu_user_ns = cpu["user_usec"] * 1000;
    s.cpu_system_ns = cpu["system_usec"] * 1000;
    s.pids_current = read_u64(dir_, "pids.current");
    s.pids_limit = read_u64(dir_, "pids.max");
    return s;
  }

  std::string clone_dir() const override { return dir_; }

 private:
  Status set_memory(const oci::Memory& m) {
    const std::string f = kRes + "memory.";
    int64_t limit = m.limit.value_or(0), swap = m.swap.value_or(0);
    // Unlimited memory means unlimited swap too, as on v1 and in runc, where
    // there is swap accounting.
    if (limit == -1 && swap == 0 && path_exists(path_join(dir_, "memory.swap.max"))) swap = -1;
    // The swap value is checked before anything is written: a refused update changes nothing.
    std::string swap_value;
    if (swap != 0) {
      auto v = swap_max(limit != 0 ? limit : static_cast<int64_t>(read_u64(dir_, "memory.max")), swap);
      if (!v) return std::move(v).error();
      swap_value = *v;
    }
    if (limit != 0) BERTH_TRY(write_value(dir_, "memory.max", limit > 0 ? std::to_string(limit) : "max", f + "limit"));
    if (!swap_value.empty()) BERTH_TRY(write_value(dir_, "memory.swap.max", swap_value, f + "swap"));
    if (m.reservation && *m.reservation != 0)
      BERTH_TRY(write_value(dir_, "memory.low", std::to_string(*m.reservation), f + "reservation"));
    if (m.disable_oom_killer && *m.disable_oom_killer)
      return invalid(f + "disableOOMKiller: cgroup v2 has no switch for the OOM killer");
    // swappiness, kernel, kernelTCP, useHierarchy: v1 only; runc ignores them on v2 too.
    return {};
  }

  Status set_cpu(const oci::Cpu& c) {
    const std::string f = kRes + "cpu.";
    if (c.shares && *c.shares != 0)
      BERTH_TRY(write_value(dir_, "cpu.weight", std::to_string(shares_to_weight(*c.shares)), f + "shares"));
    if ((c.quota && *c.quota != 0) || (c.period && *c.period != 0))
      BERTH_TRY(write_value(dir_, "cpu.max", cpu_max(c.quota, c.period), f + "quota"));
    if (c.burst) BERTH_TRY(write_value(dir_, "cpu.max.burst", std::to_string(*c.burst), f + "burst"));
    if (c.idle) BERTH_TRY(write_value(dir_, "cpu.idle", std::to_string(*c.idle), f + "idle"));
    if (c.realtime_period || c.realtime_runtime)
      return invalid(f + "realtimeRuntime: cgroup v2 has no real-time cpu limits");
    if (!c.cpus.empty()) BERTH_TRY(write_value(dir_, "cpuset.cpus", c.cpus, f + "cpus"));
    if (!c.mems.empty()) BERTH_TRY(write_value(dir_, "cpuset.mems", c.mems, f + "mems"));
    return {};
  }

  Status set_io(const oci::BlockIo& b) {
    const std::string f = kRes + "blockIO.";
    if (b.weight && *b.weight != 0) {
      bool bfq = path_exists(path_join(dir_, "io.bfq.weight"));
      std::string v = bfq ? std::to_string(*b.weight) : std::to_string(blkio_to_io_weight(*b.weight));
      BERTH_TRY(write_value(dir_, bfq ? "io.bfq.weight" : "io.weight", v, f + "weight"));
    }
    for (size_t i = 0; i < b.weight_device.size(); ++i) {
      const auto& d = b.weight_device[i];
      if (!d.weight) continue;
      BERTH_TRY(write_value(dir_, "io.weight",
                            std::to_string(d.major) + ":" + std::to_string(d.minor) + " " +
                                std::to_string(blkio_to_io_weight(*d.weight)),
                            f + "weightDevice[" + std::to_string(i) + "]"));
    }
    struct Throttle {
      const std::vector<oci::ThrottleDevice>* list;
      const char* key;
      const char* name;
    };
    const Throttle throttles[] = {
        {&b.throttle_read_bps_device, "rbps", "throttleReadBpsDevice"},
        {&b.throttle_write_bps_device, "wbps", "throttleWriteBpsDevice"},
        {&b.throttle_read_iops_device, "riops", "throttleReadIOPSDevice"},
        {&b.throttle_write_iops_device, "wiops", "throttleWriteIOPSDevice"},
    };
    for (const auto& t : throttles)
      for (size_t i = 0; i < t.list->size(); ++i) {
        const auto& d = (*t.list)[i];
        BERTH_TRY(write_value(dir_, "io.max",
                              std::to_string(d.major) + ":" + std::to_string(d.minor) + " " + t.key + "=" +
                                  std::to_string(d.rate),
                              f + t.name + "[" + std::to_string(i) + "]"));
      }
    return {};
  }

  std::string dir_;
};

}  // namespace

std::unique_ptr<Manager> make_v2_manager(const Paths& paths) { return std::make_unique<V2Manager>(paths); }

std::unique_ptr<Manager> make_manager(const Layout& layout, const Paths& paths) {
  if (layout.unified()) return make_v2_manager(paths);
  return make_v1_manager(layout, paths);
}

}  // namespace berth::cgroups
