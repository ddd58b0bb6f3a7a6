// What a test's containers may leave on the host, compared against a
// snapshot taken before: mounts (/proc/self/mountinfo), cgroup directories
// (every v1 hierarchy and the cgroup2 tree under /sys/fs/cgroup), entries in
// the --root directory, and live processes of the test (berth or an init
// still carrying BERTH_TEST_TAG, or anything in a cgroup named after one of
// the test's containers).
#pragma once

#include <set>
#include <string>
#include <vector>

namespace berth::test {

struct HostSnapshot {
  std::vector<std::string> mounts;
  std::set<std::string> cgroups;
};

HostSnapshot snapshot_host();

// "" when nothing is left; otherwise a list like " mount /x cgroup /y".
// id_prefix: the test's container ids start with it. Waits up to ~3 s for
// killed processes to go.
std::string leftovers(const HostSnapshot& before, const std::string& root, const std::string& tag,
                      const std::string& id_prefix);

}  // namespace berth::test
