// libberth.so is berth_client and the engine under it; this file only gives
// the shared library a translation unit of its own. The API is
// include/berth/berth.h; the version script (libberth.map) exports it alone.
#include "berth/berth.h"
