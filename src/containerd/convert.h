// Between libberth's values and containerd's messages: statuses, times,
// task states, cgroup statistics.
#pragma once

#include <string>

#include "base/result.h"
#include "berth/berth.h"
#include "containerd/ttrpc.h"
#include "task_types.pb.h"
#include "wire.pb.h"

namespace berth::containerd {

// The gRPC code containerd's errdefs turn back into its own errors.
Code code_of(libberth::Code c);
Reply status_reply(const libberth::Status& s);
Reply error_reply(const Error& e);

// RFC 3339 ("2026-12-06T20:11:03.123456789Z") into ts; "" or a time that
// does not parse leaves ts unset (zero).
void set_timestamp(const std::string& rfc3339, berth::wire::Timestamp* ts);

::containerd::v1::types::Status task_status(libberth::TaskStatus s);

// A serialized io.containerd.cgroups.v1.Metrics.
std::string metrics(const libberth::Stats& s);

}  // namespace berth::containerd
