#include "platform/vm/config.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "oci/parse.h"

namespace berth::vm {
namespace {

const char* kConfig = R"({
  "ociVersion": "1.0.2",
  "process": {"args": ["sh"], "cwd": "/"},
  "root": {"path": "rootfs"},
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/etc/hosts", "type": "bind", "source": "/var/lib/x/hosts", "options": ["rbind", "ro"]},
    {"destination": "/data", "source": "data", "options": ["bind"]}
  ],
  "hooks": {"prestart": [{"path": "/usr/bin/true"}]},
  "annotations": {"io.berth.platform": "vm", "io.kubernetes.cri.sandbox-id": "sb"},
  "linux": {
    "cgroupsPath": "/kubepods/pod1/c1",
    "namespaces": [{"type": "pid"}, {"type": "network", "path": "/run/netns/cni-1"},
                   {"type": "ipc", "path": "/proc/42/ns/ipc"}, {"type": "mount"},
                   {"type": "user", "path": "/proc/42/ns/user"}]
  }
})";

TEST(VmGuestConfig, HostPathsBecomeSharePaths) {
  auto spec = oci::parse_spec(kConfig);
  ASSERT_TRUE(spec) << spec.error().message;
  auto g = guest_config(kConfig, *spec, "/bundles/c1", "c1");
  ASSERT_TRUE(g) << g.error().message;
  auto j = nlohmann::json::parse(g->config_json);
  EXPECT_EQ(j["root"]["path"], "/share/c1/rootfs");
  EXPECT_EQ(j["mounts"][0]["source"], "proc");  // not a bind: the guest's own
  EXPECT_EQ(j["mounts"][1]["source"], "/share/c1/m1");
  EXPECT_EQ(j["mounts"][2]["source"], "/share/c1/m2");
  ASSERT_EQ(g->mounts.size(), 3u);
  EXPECT_EQ(g->mounts[0].source, "/bundles/c1/rootfs");
  EXPECT_EQ(g->mounts[1].source, "/var/lib/x/hosts");
  EXPECT_EQ(g->mounts[2].source, "/bundles/c1/data");
  EXPECT_EQ(g->mounts[2].name, "m2");
  // The hooks run on the host; the guest's berth runs it as a Linux container.
  EXPECT_FALSE(j.contains("hooks"));
  EXPECT_FALSE(j["annotations"].contains("io.berth.platform"));
  EXPECT_EQ(j["annotations"]["io.kubernetes.cri.sandbox-id"], "sb");
  EXPECT_EQ(j["linux"]["cgroupsPath"], "/berth/c1");
  // Host namespace paths: network and ipc go (the VM's, the sandbox's), the
  // user namespace is made anew.
  auto ns = j["linux"]["namespaces"];
  ASSERT_EQ(ns.size(), 3u);
  EXPECT_EQ(ns[0], (nlohmann::json{{"type", "pid"}}));
  EXPECT_EQ(ns[1], (nlohmann::json{{"type", "mount"}}));
  EXPECT_EQ(ns[2], (nlohmann::json{{"type", "user"}}));
}

TEST(VmConfig, AnnotationsOutOfRangeNameTheAnnotation) {
  oci::Spec spec;
  spec.annotations[kMemoryAnnotation] = "12";
  auto c = load_config(spec);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find(kMemoryAnnotation), std::string::npos) << c.error().message;
  spec.annotations = {{"io.microsoft.virtualmachine.computetopology.processor.count", "0"}};
  c = load_config(spec);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("processor.count"), std::string::npos) << c.error().message;
}

}  // namespace
}  // namespace berth::vm
