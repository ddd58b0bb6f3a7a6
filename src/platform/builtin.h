// The platforms this build runs containers on, registered with
// platform::registry(): the berth binary calls this first thing, libberth.so
// when it is loaded. The only place that names a platform's implementation.
#pragma once

namespace berth::platform {

// Idempotent.
void register_builtin();

}  // namespace berth::platform
