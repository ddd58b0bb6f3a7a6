// Turning create/run flags into runtime::CreateOptions.
#pragma once

#include "cli/command.h"
#include "runtime/create.h"

namespace berth::cli {

// Fills opts from the parsed flags (and the id); reports and returns false on
// a bad value or a flag berth cannot honour.
bool to_create_options(const Context& ctx, const Args& a, runtime::CreateOptions& opts);

}  // namespace berth::cli
