// Container ids, as every store (Linux's, Windows') accepts them.
#pragma once

#include <string>

#include "base/result.h"

namespace berth::state {

// Checks a container id: 1..255 chars of [A-Za-z0-9_+.-], not "." or "..".
Status validate_id(const std::string& id);

}  // namespace berth::state
