#include <unistd.h>

#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/version.h"
#include "platform/platform.h"

namespace berth::cli {

// The runtime-spec features document (features.md): what this build really
// does. Lists grow as features land; nothing is claimed before it works.
namespace {

int run_features(Context&, const Args&) {
  nlohmann::ordered_json j = {
      {"ociVersionMin", "1.0.0"},
      {"ociVersionMax", kSpecVersion},
      {"hooks", {"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"}},
      {"mountOptions",
       {"async",
        "atime",
        "bind",
        "defaults",
        "dev",
        "diratime",
        "dirsync",
        "exec",
        "iversion",
        "lazytime",
        "loud",
        "mand",
        "noatime",
        "nodev",
        "nodiratime",
        "noexec",
        "noiversion",
        "nolazytime",
        "nomand",
        "norelatime",
        "nostrictatime",
        "nosuid",
        "nosymfollow",
        "private",
        "ratime",
        "rbind",
        "rdev",
        "rdiratime",
        "relatime",
        "remount",
        "rexec",
        "rnoatime",
        "rnodev",
        "rnodiratime",
        "rnoexec",
        "rnorelatime",
        "rnostrictatime",
        "rnosuid",
        "rnosymfollow",
        "ro",
        "rprivate",
        "rrelatime",
        "rro",
        "rrw",
        "rshared",
        "rslave",
        "rstrictatime",
        "rsuid",
        "rsymfollow",
        "runbindable",
        "rw",
        "shared",
        "silent",
        "slave",
        "strictatime",
        "suid",
        "symfollow",
        "sync",
        "unbindable",
        "idmap",
        "ridmap",
        "tmpcopyup"}},
      {"annotations",
       {{"org.opencontainers.runc.commit", build_commit()},
        {"org.opencontainers.runc.version", "berth " BERTH_VERSION}}},
  };
  // What the native platform really does (Linux: namespaces, capabilities,
  // cgroups, seccomp, LSMs), in runtime-spec's place for it (before the
  // annotations, as runc orders them).
  if (platform::Platform* native = platform::registry().native()) {
    nlohmann::ordered_json annotations = std::move(j["annotations"]);
    for (const auto& [library, version] : native->versions())
      if (library == "libseccomp") annotations["io.github.seccomp.libseccomp.version"] = version;
    j.erase("annotations");
    native->features(j);
    j["annotations"] = std::move(annotations);
  }
  std::string out = j.dump(4) + "\n";
  (void)!::write(1, out.data(), out.size());
  return 0;
}

}  // namespace

const Command kFeaturesCommand = {
    "features",
    nullptr,
    "",
    0,
    0,
    "print the features berth supports (JSON)",
    "Prints the runtime-spec features document of this build as JSON: the spec versions, hooks, "
    "mount options, namespaces, capabilities, cgroup and seccomp support, and annotations with "
    "berth's own details. Nothing is listed before it works.",
    {},
    true,
    run_features};

}  // namespace berth::cli
