// `berth --version`, in runc's shape (docker info and bug reports read it):
//   berth version 0.1.0
//   commit: 0123abcd...[-dirty]
//   spec: 1.2.0
//   libseccomp: 2.5.4
#pragma once

#include <string>

namespace berth::cli {

// The runtime-spec version berth implements.
inline constexpr const char* kSpecVersion = "1.2.0";

// The git commit the binary was built from ("unknown" outside a checkout).
const char* build_commit();

std::string version_text();

}  // namespace berth::cli
