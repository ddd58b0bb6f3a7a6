// The windows section: every member read, shape errors naming their JSON
// path, and the root and path rules of a Windows container.
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "oci/parse.h"

namespace berth::oci {
namespace {

using nlohmann::json;

json windows_config() {
  return json::parse(R"({
    "ociVersion": "1.1.0",
    "process": {"commandLine": "cmd /c echo hi", "cwd": "C:\\", "env": ["A=b"]},
    "root": {"path": "\\\\?\\Volume{66d1ef4c-7a00-11e6-8948-00155ddbef9d}\\"},
    "mounts": [{"destination": "C:\\data", "source": "C:\\v"}],
    "windows": {
      "layerFolders": ["C:\\l\\base", "C:\\l\\c1"],
      "devices": [{"id": "5B45201D-F2F2-4F3B-85BB-30FF1F953599", "idType": "class"}],
      "resources": {
        "memory": {"limit": 2147483648},
        "cpu": {"count": 2, "shares": 500, "maximum": 7000},
        "storage": {"iops": 10, "bps": 20, "sandboxSize": 30}
      },
      "credentialSpec": "{}",
      "servicing": true,
      "ignoreFlushesDuringBoot": true,
      "hyperv": {"utilityVMPath": "C:\\uvm"},
      "network": {
        "endpointList": ["e1"],
        "allowUnqualifiedDNSQuery": true,
        "DNSSearchList": ["a.com", "b.com"],
        "networkSharedContainerName": "pause",
        "networkNamespace": "ns1"
      }
    }
  })");
}

TEST(ParseWindows, ReadsEveryMember) {
  auto r = parse_spec(windows_config().dump());
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_TRUE(r->windows);
  const Windows& w = *r->windows;
  EXPECT_EQ(w.layer_folders, (std::vector<std::string>{"C:\\l\\base", "C:\\l\\c1"}));
  ASSERT_EQ(w.devices.size(), 1u);
  EXPECT_EQ(w.devices[0].id, "5B45201D-F2F2-4F3B-85BB-30FF1F953599");
  EXPECT_EQ(w.devices[0].id_type, "class");
  ASSERT_TRUE(w.resources);
  EXPECT_EQ(w.resources->memory->limit, 2147483648u);
  EXPECT_EQ(w.resources->cpu->count, 2u);
  EXPECT_EQ(w.resources->cpu->shares, 500);
  EXPECT_EQ(w.resources->cpu->maximum, 7000);
  EXPECT_EQ(w.resources->storage->iops, 10u);
  EXPECT_EQ(w.resources->storage->bps, 20u);
  EXPECT_EQ(w.resources->storage->sandbox_size, 30u);
  EXPECT_EQ(w.credential_spec, "{}");
  EXPECT_TRUE(w.servicing);
  EXPECT_TRUE(w.ignore_flushes_during_boot);
  ASSERT_TRUE(w.hyperv);
  EXPECT_EQ(w.hyperv->utility_vm_path, "C:\\uvm");
  ASSERT_TRUE(w.network);
  EXPECT_EQ(w.network->endpoint_list, std::vector<std::string>{"e1"});
  EXPECT_TRUE(w.network->allow_unqualified_dns_query);
  EXPECT_EQ(w.network->dns_search_list, (std::vector<std::string>{"a.com", "b.com"}));
  EXPECT_EQ(w.network->network_shared_container_name, "pause");
  EXPECT_EQ(w.network->network_namespace, "ns1");
  // Create still refuses it on a berth without a Windows platform.
  EXPECT_EQ(r->other_platforms, std::vector<std::string>{"windows"});
}

TEST(ParseWindows, ShapeErrorsNameTheirPath) {
  struct Row {
    const char* pointer;
    json value;
    const char* want;
  };
  const Row rows[] = {
      {"/windows/layerFolders/1", 3, "windows.layerFolders[1]: "},
      {"/windows/devices/0/idType", nullptr, "windows.devices[0].idType: "},  // null: absent, and required
      {"/windows/devices/0/id", true, "windows.devices[0].id: "},
      {"/windows/resources/cpu/shares", 70000, "windows.resources.cpu.shares: "},
      {"/windows/resources/cpu/count", -1, "windows.resources.cpu.count: "},
      {"/windows/resources/memory/limit", "1G", "windows.resources.memory.limit: "},
      {"/windows/resources/storage/sandboxSize", 1.5, "windows.resources.storage.sandboxSize: "},
      {"/windows/credentialSpec", json::object(), "windows.credentialSpec: "},
      {"/windows/hyperv", "yes", "windows.hyperv: "},
      {"/windows/network/DNSSearchList", "a.com", "windows.network.DNSSearchList: "},
      {"/windows/network/allowUnqualifiedDNSQuery", "true", "windows.network.allowUnqualifiedDNSQuery: "},
      {"/process/env/0", "A", "process.env[0]: "},
  };
  for (const Row& row : rows) {
    json doc = windows_config();
    doc[json::json_pointer(std::string(row.pointer))] = row.value;
    auto r = parse_spec(doc.dump());
    ASSERT_FALSE(r) << row.pointer;
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
    EXPECT_TRUE(r.error().message.starts_with(row.want)) << r.error().message;
  }
}

TEST(ParseWindows, HyperVContainerHasNoRoot) {
  json doc = windows_config();
  doc.erase("root");
  auto r = parse_spec(doc.dump());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->root.path, "");
}

TEST(ParseWindows, ProcessNeedsArgsOrCommandLine) {
  json doc = windows_config();
  doc["process"].erase("commandLine");
  auto r = parse_spec(doc.dump());
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().message.starts_with("process.args: ")) << r.error().message;
  doc["process"]["args"] = {"cmd"};
  EXPECT_TRUE(parse_spec(doc.dump()));
}

// A spec with both sections is a Linux container (on Windows: LCOW), whose
// paths and root follow the Linux rules.
TEST(ParseWindows, WithALinuxSectionLinuxRulesHold) {
  json doc = windows_config();
  doc["linux"] = json::object();
  auto r = parse_spec(doc.dump());
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().message.starts_with("process.")) << r.error().message;
  doc.erase("root");
  doc["process"] = {{"args", {"sh"}}, {"cwd", "/"}};
  doc["mounts"] = json::array();
  r = parse_spec(doc.dump());
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().message.starts_with("root.path: ")) << r.error().message;
}

TEST(ParseWindows, LinuxConfigStillNeedsItsRoot) {
  auto r = parse_spec(R"({"ociVersion": "1.2.0", "process": {"args": ["a"], "cwd": "/"}})");
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().message.starts_with("root: ")) << r.error().message;
}

}  // namespace
}  // namespace berth::oci
