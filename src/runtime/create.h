// create: a container set up and its init parked, as `runc create` leaves it.
// The platform-neutral half: the config, the sandbox, the choice of
// platform, the record made before anything else, rollback, the hooks and
// the pid file. The platform (src/platform/) makes the container itself.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/fd.h"
#include "base/result.h"
#include "platform/platform.h"
#include "runtime/container.h"
#include "state/store.h"

namespace berth::runtime {

using platform::CreateOptions;
using platform::Park;

// A container just created: locked, its init waiting to run.
struct Created {
  Loaded c;
  // What the platform's creation refers to, kept at stable addresses.
  std::unique_ptr<oci::Spec> spec;
  std::unique_ptr<platform::CreateRequest> request;
  std::unique_ptr<platform::Creation> creation;
  std::vector<std::string> warnings;  // for the log (e.g. unknown capabilities)

  platform::Process& init() { return creation->init(); }
};

// Creates the container. With Park::kStartCommand the init waits for
// `start`; with Park::kStartNow for start_now(). On failure nothing is left:
// no state directory, no process, no mount.
Result<Created> create(const state::Store& store, const CreateOptions& opts, Park park);

// Lets a kStartNow-parked init exec the user's process; returns once it
// has, after the poststart hooks (whose failures are only warnings).
Status start_now(Created& created);

// Writes pid to path atomically (temp file + rename), as runc does.
Status write_pid_file(const std::string& path, int pid);

}  // namespace berth::runtime
