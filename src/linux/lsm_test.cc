#include "linux/lsm.h"

#include <gtest/gtest.h>

namespace berth::lnx {
namespace {

TEST(Lsm, MountLabelIsAddedAsAContextOption) {
  EXPECT_EQ(with_mount_label("", ""), "");
  EXPECT_EQ(with_mount_label("mode=755", ""), "mode=755");
  EXPECT_EQ(with_mount_label("", "system_u:object_r:container_file_t:s0"),
            "context=\"system_u:object_r:container_file_t:s0\"");
  EXPECT_EQ(with_mount_label("mode=755,size=65536k", "l:c1,c2"), "mode=755,size=65536k,context=\"l:c1,c2\"");
}

TEST(Lsm, SelinuxLabelsAreRefusedInAConfigAndDroppedForAnExecWhereSelinuxIsOff) {
  if (selinux_enabled()) GTEST_SKIP() << "SELinux is on here";
  oci::Process p;
  p.selinux_label = "system_u:system_r:container_t:s0";
  std::vector<std::string> warnings;
  auto r = resolve_process_labels(p, LabelsOf::kConfig, warnings);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message.rfind("process.selinuxLabel", 0), 0u) << r.error().message;
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
  ASSERT_TRUE(resolve_process_labels(p, LabelsOf::kExec, warnings));
  EXPECT_TRUE(p.selinux_label.empty());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].rfind("selinuxLabel", 0), 0u);
}

}  // namespace
}  // namespace berth::lnx
