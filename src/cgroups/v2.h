// cgroup v2: the unified tree, and the conversions from the spec's v1 values
// (the formulas runc and crun use, so a config means the same on both).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "cgroups/manager.h"

namespace berth::cgroups {

// cpu.shares [2, 262144] -> cpu.weight [1, 10000]; 0 stays 0 (unset).
uint64_t shares_to_weight(uint64_t shares);
// blkio.weight [10, 1000] -> io.weight [1, 10000]; 0 stays 0 (unset).
uint64_t blkio_to_io_weight(uint64_t weight);
// "quota period" for cpu.max ("max" when quota < 0 or unset).
std::string cpu_max(std::optional<int64_t> quota, std::optional<uint64_t> period);
// memory.swap.max from the spec's memory+swap total: swap - limit ("max" for -1).
Result<std::string> swap_max(int64_t limit, int64_t swap);

// "2MB" -> "2MB" as the kernel names it in hugetlb.<size>.*; "rsvd." prefix
// ("2MB" with rsvd) is flagged.
std::string hugepage_size(const std::string& page_size, bool& rsvd);
Status write_hugetlb_v2(const std::string& dir, const oci::HugepageLimit& h, const std::string& field);
std::string rdma_line(const std::string& device, const oci::Rdma& r);

// Each ancestor of dir must delegate a controller before dir can use it. A
// parent that holds processes cannot (the no-internal-process rule), and a
// controller the host lacks cannot be enabled: those are skipped, and a limit
// that needs them later fails naming its file.
void enable_controllers(const std::string& dir);

std::unique_ptr<Manager> make_v2_manager(const Paths& paths);
std::unique_ptr<Manager> make_v1_manager(const Layout& layout, const Paths& paths);

}  // namespace berth::cgroups
