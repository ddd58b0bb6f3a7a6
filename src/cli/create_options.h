// Turning create/run flags into runtime::CreateOptions.
#pragma once

#include "cli/command.h"
#include "runtime/create.h"

namespace berth::cli {

// The options create and run share (one table, so their syntax is the same).
constexpr size_t kCreateOptionCount = 12;
extern const Option kCreateOptions[kCreateOptionCount];

// Fills opts from the parsed flags (and the id); reports and returns false on
// a bad value or a flag berth cannot honour.
bool to_create_options(const Context& ctx, const Args& a, runtime::CreateOptions& opts);

}  // namespace berth::cli
