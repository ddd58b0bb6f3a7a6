// Capabilities: the five sets of a process spec, resolved to bit masks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "oci/spec.h"

namespace berth::lnx {

struct CapSets {
  uint64_t bounding = 0, effective = 0, inheritable = 0, permitted = 0, ambient = 0;
};

// Every capability this build knows, by number ("CAP_CHOWN" first): the
// list `berth features` reports.
std::vector<std::string> capability_names();

// "CAP_CHOWN" -> 0; nullopt for a name this build does not know.
std::optional<int> cap_from_name(std::string_view name);

// The highest capability the running kernel knows (/proc/sys/kernel/cap_last_cap).
int cap_last_cap();

// Resolves names to masks. Like runc, names that are unknown or that this
// kernel lacks are skipped, each reported in `warnings`, so a config written
// for a newer kernel still runs.
CapSets resolve_caps(const oci::Capabilities& caps, std::vector<std::string>& warnings);

// Drops every capability outside caps.bounding from the bounding set. Must run
// before the uid changes (it needs CAP_SETPCAP).
Status drop_bounding(const CapSets& caps);

// Sets effective, permitted and inheritable, then the ambient set. Runs after
// the uid change, which PR_SET_KEEPCAPS survived.
Status apply_caps(const CapSets& caps);

}  // namespace berth::lnx
