// SHA-256 (FIPS 180-4), for names derived from other names (a shim's
// socket from containerd's address, namespace and pod), not for secrets.
#pragma once

#include <string>
#include <string_view>

namespace berth {

// The digest of data as 64 lowercase hex digits.
std::string sha256_hex(std::string_view data);

}  // namespace berth
