// libberth.so is berth_client and the engine under it; this file gives the
// shared library a translation unit of its own, which registers the
// platforms it was built with when the library is loaded. The API is
// include/berth/berth.h; the version script (libberth.map) exports it alone.
#include "berth/berth.h"
#include "platform/builtin.h"

namespace {

[[maybe_unused]] const bool registered = (berth::platform::register_builtin(), true);

}  // namespace
