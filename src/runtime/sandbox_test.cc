#include "runtime/sandbox.h"

#include <gtest/gtest.h>

namespace berth::runtime::sandbox {
namespace {

using Annotations = std::map<std::string, std::string>;

struct DialectKeys {
  const char* type;
  const char* id;
  const char* sandbox_value;
};

const DialectKeys kAll[] = {
    {"io.kubernetes.cri.container-type", "io.kubernetes.cri.sandbox-id", "sandbox"},
    {"io.kubernetes.cri-o.ContainerType", "io.kubernetes.cri-o.SandboxID", "sandbox"},
    {"io.kubernetes.docker.type", "io.kubernetes.sandbox.id", "podsandbox"},
    {"io.kubernetes.docker.type", "io.kubernetes.sandbox.id", "sandbox"},
};

TEST(SandboxParse, EachDialectNamesSandboxesAndMembers) {
  for (const auto& d : kAll) {
    auto sb = parse({{d.type, d.sandbox_value}, {d.id, "pod"}}, "pod");
    ASSERT_TRUE(sb) << d.type << ": " << sb.error().message;
    EXPECT_TRUE(sb->is_sandbox) << d.type;
    EXPECT_EQ(sb->sandbox_id, "pod") << d.type;

    auto m = parse({{d.type, "container"}, {d.id, "pod"}}, "app");
    ASSERT_TRUE(m) << d.type;
    EXPECT_FALSE(m->is_sandbox) << d.type;
    EXPECT_EQ(m->sandbox_id, "pod") << d.type;
    EXPECT_EQ(m->id_annotation, d.id) << d.type;
  }
}

TEST(SandboxParse, SandboxIdMustMatchTheContainerId) {
  for (const auto& d : kAll) {
    auto r = parse({{d.type, d.sandbox_value}, {d.id, "other"}}, "pod");
    ASSERT_FALSE(r) << d.type;
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
    EXPECT_NE(r.error().message.find("sandbox ID must match ID"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find(d.id), std::string::npos) << r.error().message;
  }
}

TEST(SandboxParse, EmptyIdsMeanTheOwnIdForASandboxAndNoSandboxForAContainer) {
  auto sb = parse({{"io.kubernetes.cri.container-type", "sandbox"}}, "pod");
  ASSERT_TRUE(sb);
  EXPECT_TRUE(sb->is_sandbox);
  EXPECT_EQ(sb->sandbox_id, "pod");
  auto m = parse({{"io.kubernetes.cri.container-type", "container"}, {"io.kubernetes.cri.sandbox-id", ""}}, "c");
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->is_sandbox);
  EXPECT_EQ(m->sandbox_id, "");
}

TEST(SandboxParse, FirstDialectWithATypeWinsInRunhcsOrder) {
  // containerd over CRI-O over docker, even when a later one disagrees.
  auto r = parse({{"io.kubernetes.cri.container-type", "container"},
                  {"io.kubernetes.cri.sandbox-id", "pod-a"},
                  {"io.kubernetes.cri-o.ContainerType", "sandbox"},
                  {"io.kubernetes.cri-o.SandboxID", "c"},
                  {"io.kubernetes.docker.type", "podsandbox"}},
                 "c");
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->is_sandbox);
  EXPECT_EQ(r->sandbox_id, "pod-a");
  // An empty type is not "found": the next dialect decides.
  auto next = parse({{"io.kubernetes.cri.container-type", ""},
                     {"io.kubernetes.cri.sandbox-id", "ignored"},
                     {"io.kubernetes.cri-o.ContainerType", "container"},
                     {"io.kubernetes.cri-o.SandboxID", "pod-b"}},
                    "c");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->sandbox_id, "pod-b");
  // An id without a type of its own dialect is not read.
  auto id_only = parse({{"io.kubernetes.cri.sandbox-id", "pod"}}, "c");
  ASSERT_TRUE(id_only);
  EXPECT_EQ(id_only->sandbox_id, "");
}

TEST(SandboxParse, OtherTypesAndNoAnnotationsAreNotInASandbox) {
  for (const Annotations& a :
       {Annotations{}, Annotations{{"org.example", "x"}},
        Annotations{{"io.kubernetes.cri.container-type", "Sandbox"}, {"io.kubernetes.cri.sandbox-id", "c"}},
        Annotations{{"io.kubernetes.cri.container-type", "podsandbox"}, {"io.kubernetes.cri.sandbox-id", "c"}},
        Annotations{{"io.kubernetes.cri-o.ContainerType", "infra"}, {"io.kubernetes.cri-o.SandboxID", "p"}},
        Annotations{{"io.kubernetes.docker.type", "container_"}, {"io.kubernetes.sandbox.id", "p"}}}) {
    auto r = parse(a, "c");
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->is_sandbox);
    EXPECT_EQ(r->sandbox_id, "");
  }
}

TEST(SandboxState, ASandboxRecordsItsOwnId) {
  state::ContainerState st;
  st.id = "pod";
  EXPECT_FALSE(is_sandbox(st));
  st.sandbox = "pod";
  EXPECT_TRUE(is_sandbox(st));
  st.id = "app";
  EXPECT_FALSE(is_sandbox(st));  // a member
}

}  // namespace
}  // namespace berth::runtime::sandbox
