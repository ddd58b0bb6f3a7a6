#include "containerd/convert.h"

#include <gtest/gtest.h>

#include "metrics.pb.h"

namespace berth::containerd {
namespace {

TEST(Convert, Rfc3339BecomesATimestamp) {
  berth::wire::Timestamp ts;
  set_timestamp("2026-12-06T20:11:03.123456789Z", &ts);
  EXPECT_EQ(ts.seconds(), 1796587863);
  EXPECT_EQ(ts.nanos(), 123456789);
  set_timestamp("1970-01-01T00:00:01.5Z", &ts);
  EXPECT_EQ(ts.seconds(), 1);
  EXPECT_EQ(ts.nanos(), 500000000);
  // Not UTC, or not a time: left as it was.
  berth::wire::Timestamp unset;
  set_timestamp("2026-12-06T20:11:03+01:00", &unset);
  set_timestamp("", &unset);
  set_timestamp("yesterday", &unset);
  EXPECT_EQ(unset.seconds(), 0);
  EXPECT_EQ(unset.nanos(), 0);
}

TEST(Convert, LibberthCodesBecomeTheGrpcCodesContainerdReads) {
  EXPECT_EQ(code_of(libberth::Code::kNotFound), Code::kNotFound);
  EXPECT_EQ(code_of(libberth::Code::kAlreadyExists), Code::kAlreadyExists);
  EXPECT_EQ(code_of(libberth::Code::kConflict), Code::kFailedPrecondition);
  EXPECT_EQ(code_of(libberth::Code::kInvalidArgument), Code::kInvalidArgument);
  EXPECT_EQ(code_of(libberth::Code::kNotImplemented), Code::kUnimplemented);
  Reply r = status_reply(libberth::Status(libberth::Code::kConflict, "container c1 is running"));
  EXPECT_EQ(r.code, Code::kFailedPrecondition);
  EXPECT_EQ(r.message, "container c1 is running");
  EXPECT_EQ(status_reply(libberth::Status()).code, Code::kOk);
}

TEST(Convert, StatsBecomeCgroupsV1Metrics) {
  libberth::Stats st;
  st.cpu_usage_ns = 7;
  st.memory_usage = 4096;
  st.memory_limit = 1 << 20;
  st.pids_current = 3;
  st.oom_kills = 2;
  st.memory_raw["total_rss"] = 1234;
  ::io::containerd::cgroups::v1::Metrics m;
  ASSERT_TRUE(m.ParseFromString(metrics(st)));
  EXPECT_EQ(m.cpu().usage().total(), 7u);
  EXPECT_EQ(m.memory().usage().usage(), 4096u);
  EXPECT_EQ(m.memory().usage().limit(), 1u << 20);
  EXPECT_EQ(m.memory().total_rss(), 1234u);
  EXPECT_EQ(m.pids().current(), 3u);
  EXPECT_EQ(m.memory_oom_control().oom_kill(), 2u);
}

}  // namespace
}  // namespace berth::containerd
