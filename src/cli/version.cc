#include "cli/version.h"

#include "commit.h"  // generated at every build by cmake/commit.cmake
#include "platform/platform.h"

namespace berth::cli {

const char* build_commit() { return BERTH_COMMIT; }

std::string version_text() {
  std::string v = std::string("berth version ") + BERTH_VERSION + "\ncommit: " + BERTH_COMMIT +
                  "\nspec: " + kSpecVersion + "\n";
  if (const platform::Platform* native = platform::registry().native())
    for (const auto& [library, version] : native->versions()) v += library + ": " + version + "\n";
  return v;
}

}  // namespace berth::cli
