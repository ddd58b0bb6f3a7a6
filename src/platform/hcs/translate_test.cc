// The OCI -> HCS translation: a corpus of Windows specs, each with the v2
// ComputeSystem and the v1 ContainerConfig it must give (tests/data/hcs/),
// and one test per check the seeds make, asserting on the JSON path the
// error names rather than its wording.
#include "platform/hcs/translate.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "oci/parse.h"

namespace berth::platform::hcs {
namespace {

using nlohmann::json;

// (Not base/testutil.h: this test builds for Windows too, cmake/windows.)
std::string read_text(const std::string& path) {
  std::ostringstream out;
  out << std::ifstream(path, std::ios::binary).rdbuf();
  return out.str();
}

// ---- The corpus ----
//
// tests/data/hcs/CASE/: config.json (the bundle's), request.json (what the
// platform would pass: id, owner, bundle, hostCpuCount, networkNamespace,
// layerIds, utilityVmIn, hosting {id, cpuCount, rootPath, guestPaths}, and
// the warnings expected), v1.json, and v2.json (absent: no v2 document).

struct Case {
  oci::Spec spec;
  json request;
  std::map<std::string, std::string> layer_ids, guest_paths;
  std::vector<std::string> uvm_in;
  Request req;
};

std::vector<std::string> case_names() {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(BERTH_HCS_TESTDATA))
    if (e.is_directory()) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// Fills c.req from request.json; the callbacks read c's tables, so c must
// stay where it is while c.req is used.
void load_request(Case& c) {
  const json& r = c.request;
  c.req.id = r.at("id");
  c.req.owner = r.value("owner", "berth");
  c.req.bundle = r.value("bundle", "");
  c.req.spec = &c.spec;
  c.req.host_cpu_count = r.value("hostCpuCount", 8u);
  c.req.network_namespace = r.value("networkNamespace", "");
  c.layer_ids = r.value("layerIds", std::map<std::string, std::string>{});
  c.uvm_in = r.value("utilityVmIn", std::vector<std::string>{});
  c.req.layer_id = [&c](const std::string& folder) {
    auto it = c.layer_ids.find(folder);
    return it == c.layer_ids.end() ? "no-id-for:" + folder : it->second;
  };
  c.req.has_utility_vm = [&c](const std::string& folder) {
    return std::find(c.uvm_in.begin(), c.uvm_in.end(), folder) != c.uvm_in.end();
  };
  if (r.contains("hosting")) {
    const json& h = r["hosting"];
    HostingSystem& hs = c.req.hosting.emplace();
    hs.id = h.at("id");
    hs.cpu_count = h.value("cpuCount", 0u);
    hs.root_path = h.value("rootPath", "");
    c.guest_paths = h.value("guestPaths", std::map<std::string, std::string>{});
    hs.guest_path = [&c](const std::string& host) -> std::optional<std::string> {
      auto it = c.guest_paths.find(host);
      if (it == c.guest_paths.end()) return std::nullopt;
      return it->second;
    };
  }
}

class Corpus : public ::testing::TestWithParam<std::string> {};

TEST_P(Corpus, GivesTheExpectedDocuments) {
  std::string dir = std::string(BERTH_HCS_TESTDATA) + "/" + GetParam();
  auto spec = oci::parse_spec(read_text(dir + "/config.json"));
  ASSERT_TRUE(spec) << spec.error().message;
  Case c{std::move(*spec), json::parse(read_text(dir + "/request.json")), {}, {}, {}, {}};
  load_request(c);

  auto docs = translate(c.req);
  ASSERT_TRUE(docs) << docs.error().message;
  // Compared as plain JSON: member order does not matter, values and types do.
  EXPECT_EQ(json::parse(docs->container_config), json::parse(read_text(dir + "/v1.json")))
      << "v1: " << json::parse(docs->container_config).dump(2);
  if (std::filesystem::exists(dir + "/v2.json")) {
    ASSERT_FALSE(docs->compute_system.empty());
    EXPECT_EQ(json::parse(docs->compute_system), json::parse(read_text(dir + "/v2.json")))
        << "v2: " << json::parse(docs->compute_system).dump(2);
  } else {
    EXPECT_EQ(docs->compute_system, "");
  }
  EXPECT_EQ(docs->warnings, c.request.value("warnings", std::vector<std::string>{}));
}

INSTANTIATE_TEST_SUITE_P(Hcs, Corpus, ::testing::ValuesIn(case_names()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

TEST(HcsCorpus, HasEveryKindOfSpec) {
  std::vector<std::string> names = case_names();
  for (const char* want :
       {"process", "hyperv_hosted", "hyperv_v1_only", "mounts", "devices", "resources", "network", "credential_spec"})
    EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
}

// ---- One test per check ----

// A valid process-isolated spec to break one field of at a time.
json base_config() {
  return json::parse(R"({
    "ociVersion": "1.1.0",
    "process": {"args": ["cmd"], "cwd": "C:\\"},
    "root": {"path": "\\\\?\\Volume{66d1ef4c-7a00-11e6-8948-00155ddbef9d}\\"},
    "windows": {"layerFolders": ["C:\\layers\\base", "C:\\layers\\c1"]}
  })");
}

json hyperv_config() {
  json doc = base_config();
  doc.erase("root");
  doc["windows"]["hyperv"] = json::object();
  return doc;
}

struct Translated {
  std::optional<oci::Spec> spec;
  Result<Documents> docs = Documents{};
};

// Parses doc (which must parse) and translates it with fixed host facts: 4
// processors, layer ids from the folder's name, a utility VM image in every
// layer. adjust may change the request.
template <class Adjust>
Translated run(const json& doc, Adjust adjust) {
  Translated t;
  auto spec = oci::parse_spec(doc.dump());
  EXPECT_TRUE(spec) << spec.error().message;
  if (!spec) return t;
  t.spec = std::move(*spec);
  Request req;
  req.id = "c1";
  req.spec = &*t.spec;
  req.host_cpu_count = 4;
  req.layer_id = [](const std::string& folder) { return "id-of-" + folder.substr(folder.rfind('\\') + 1); };
  req.has_utility_vm = [](const std::string&) { return true; };
  adjust(req);
  t.docs = translate(req);
  return t;
}

Translated run(const json& doc) {
  return run(doc, [](Request&) {});
}

// The error's JSON path: the message up to the first ": ".
std::string error_path(const Translated& t) {
  if (t.docs) return "(no error)";
  EXPECT_EQ(t.docs.error().kind, ErrorKind::kInvalidArgument) << t.docs.error().message;
  const std::string& m = t.docs.error().message;
  return m.substr(0, m.find(": "));
}

json v1_of(const Translated& t) { return json::parse(t.docs->container_config); }
json v2_container_of(const Translated& t) { return json::parse(t.docs->compute_system).at("Container"); }

TEST(HcsTranslate, BaseConfigTranslates) {
  Translated t = run(base_config());
  ASSERT_TRUE(t.docs) << t.docs.error().message;
  EXPECT_TRUE(t.docs->warnings.empty());
}

TEST(HcsTranslate, NeedsAWindowsSection) {
  json doc = base_config();
  doc.erase("windows");
  doc["root"]["path"] = "rootfs";
  doc["process"]["cwd"] = "/";
  EXPECT_EQ(error_path(run(doc)), "windows");
}

TEST(HcsTranslate, NeedsTwoLayerFolders) {
  json doc = base_config();
  doc["windows"]["layerFolders"] = {"C:\\layers\\c1"};
  EXPECT_EQ(error_path(run(doc)), "windows.layerFolders");
  doc["windows"]["layerFolders"] = json::array();
  EXPECT_EQ(error_path(run(doc)), "windows.layerFolders");
  doc["windows"].erase("layerFolders");
  EXPECT_EQ(error_path(run(doc)), "windows.layerFolders");
}

TEST(HcsTranslate, EmptyLayerFolderIsRefused) {
  json doc = base_config();
  doc["windows"]["layerFolders"] = {"C:\\layers\\base", "", "C:\\layers\\c1"};
  EXPECT_EQ(error_path(run(doc)), "windows.layerFolders[1]");
}

TEST(HcsTranslate, RelativeLayerFoldersAreTheBundles) {
  json doc = base_config();
  doc["windows"]["layerFolders"] = {"layers\\base", "C:\\layers\\c1"};
  Translated t = run(doc, [](Request& r) { r.bundle = "C:\\bundles\\c1"; });
  ASSERT_TRUE(t.docs) << t.docs.error().message;
  EXPECT_EQ(v1_of(t)["Layers"][0]["Path"], "C:\\bundles\\c1\\layers\\base");
}

TEST(HcsTranslate, ProcessIsolationNeedsAVolumeGuidRoot) {
  for (const char* bad : {"", "C:\\rootfs", "rootfs", "\\\\?\\Volume{66d1ef4c-7a00-11e6-8948}\\",
                          "\\\\?\\Volume{66d1ef4c-7a00-11e6-8948-00155ddbef9g}\\",
                          "\\\\?\\Volume{66d1ef4c-7a00-11e6-8948-00155ddbef9d}\\x", "\\\\?\\volume{66d1ef4c"}) {
    json doc = base_config();
    doc["root"]["path"] = bad;
    EXPECT_EQ(error_path(run(doc)), "root.path") << bad;
  }
  json doc = base_config();
  doc.erase("root");
  EXPECT_EQ(error_path(run(doc)), "root.path");
}

TEST(HcsTranslate, VolumeGuidRootTakesOrGainsItsBackslash) {
  EXPECT_TRUE(is_volume_guid_path("\\\\?\\Volume{66d1ef4c-7a00-11e6-8948-00155ddbef9d}\\"));
  EXPECT_TRUE(is_volume_guid_path("\\\\?\\Volume{66D1EF4C-7A00-11E6-8948-00155DDBEF9D}"));
  json doc = base_config();
  doc["root"]["path"] = "\\\\?\\Volume{66d1ef4c-7a00-11e6-8948-00155ddbef9d}";
  Translated t = run(doc);
  ASSERT_TRUE(t.docs) << t.docs.error().message;
  EXPECT_EQ(v1_of(t)["VolumePath"], "\\\\?\\Volume{66d1ef4c-7a00-11e6-8948-00155ddbef9d}");
  EXPECT_EQ(v2_container_of(t)["Storage"]["Path"], "\\\\?\\Volume{66d1ef4c-7a00-11e6-8948-00155ddbef9d}\\");
}

TEST(HcsTranslate, HyperVRootMustBeOmitted) {
  json doc = hyperv_config();
  doc["root"] = {{"path", "\\\\?\\Volume{66d1ef4c-7a00-11e6-8948-00155ddbef9d}\\"}};
  EXPECT_EQ(error_path(run(doc)), "root.path");
  doc["root"] = {{"path", ""}};
  EXPECT_TRUE(run(doc).docs);
}

TEST(HcsTranslate, ReadonlyRootIsRefused) {
  json doc = base_config();
  doc["root"]["readonly"] = true;
  EXPECT_EQ(error_path(run(doc)), "root.readonly");
  doc = hyperv_config();
  doc["root"] = {{"readonly", true}};
  EXPECT_EQ(error_path(run(doc)), "root.readonly");
}

TEST(HcsTranslate, MountTypeIsRefused) {
  json doc = base_config();
  doc["mounts"] = {{{"destination", "C:\\data"}, {"source", "C:\\v"}},
                   {{"destination", "C:\\tmp"}, {"source", "C:\\t"}, {"type", "bind"}}};
  EXPECT_EQ(error_path(run(doc)), "mounts[1].type");
}

TEST(HcsTranslate, PipeDestinationsArePipesTheRestDirectories) {
  json doc = base_config();
  doc["mounts"] = {{{"destination", "\\\\.\\pipe\\p1"}, {"source", "\\\\.\\pipe\\h1"}},
                   {{"destination", "C:\\pipe\\p2"}, {"source", "C:\\d"}, {"options", {"ro"}}},
                   {{"destination", "\\\\.\\Pipe\\p3"}, {"source", "\\\\.\\pipe\\h3"}, {"options", {"ro"}}}};
  Translated t = run(doc);
  ASSERT_TRUE(t.docs) << t.docs.error().message;
  json v1 = v1_of(t);
  ASSERT_EQ(v1["MappedPipes"].size(), 2u);
  EXPECT_EQ(v1["MappedPipes"][0]["ContainerPipeName"], "p1");
  EXPECT_EQ(v1["MappedPipes"][1]["ContainerPipeName"], "p3");
  ASSERT_EQ(v1["MappedDirectories"].size(), 1u);
  EXPECT_EQ(v1["MappedDirectories"][0]["ContainerPath"], "C:\\pipe\\p2");
  EXPECT_EQ(v1["MappedDirectories"][0]["ReadOnly"], true);
  EXPECT_EQ(v2_container_of(t)["MappedPipes"].size(), 2u);
}

TEST(HcsTranslate, PipeDestinationMustNameAPipe) {
  json doc = base_config();
  doc["mounts"] = {{{"destination", "\\\\.\\pipe\\"}, {"source", "\\\\.\\pipe\\h1"}}};
  EXPECT_EQ(error_path(run(doc)), "mounts[0].destination");
}

TEST(HcsTranslate, DirectoriesAreReadOnlyOnlyWithRo) {
  json doc = base_config();
  doc["mounts"] = {{{"destination", "C:\\a"}, {"source", "C:\\a"}, {"options", {"rw", "rbind"}}},
                   {{"destination", "C:\\b"}, {"source", "C:\\b"}, {"options", {"Ro"}}}};
  Translated t = run(doc);
  ASSERT_TRUE(t.docs) << t.docs.error().message;
  EXPECT_EQ(v1_of(t)["MappedDirectories"][0]["ReadOnly"], false);
  EXPECT_EQ(v1_of(t)["MappedDirectories"][1]["ReadOnly"], true);
  EXPECT_FALSE(v2_container_of(t)["MappedDirectories"][0].contains("ReadOnly"));
  EXPECT_EQ(v2_container_of(t)["MappedDirectories"][1]["ReadOnly"], true);
}

TEST(HcsTranslate, DeviceIdTypeMustBeAClassGuid) {
  json doc = base_config();
  doc["windows"]["devices"] = {{{"id", "5B45201D-F2F2-4F3B-85BB-30FF1F953599"}, {"idType", "class"}},
                               {{"id", "PCIP\\VEN_1234"}, {"idType", "vpci-location-path"}}};
  EXPECT_EQ(error_path(run(doc)), "windows.devices[1].idType");
  doc["windows"]["devices"][1]["idType"] = "vpci-class-guid";
  EXPECT_TRUE(run(doc).docs);
}

TEST(HcsTranslate, NoDevicesForHyperV) {
  json doc = hyperv_config();
  doc["windows"]["devices"] = {{{"id", "5B45201D-F2F2-4F3B-85BB-30FF1F953599"}, {"idType", "class"}}};
  EXPECT_EQ(error_path(run(doc)), "windows.devices");
  // Nor for a process-isolated spec placed in a sandbox's utility VM.
  doc = base_config();
  doc["windows"]["devices"] = {{{"id", "5B45201D-F2F2-4F3B-85BB-30FF1F953599"}, {"idType", "class"}}};
  EXPECT_EQ(error_path(run(doc, [](Request& r) { r.hosting.emplace().id = "vm"; })), "windows.devices");
}

TEST(HcsTranslate, ExplicitUtilityVmPathIsRefused) {
  json doc = hyperv_config();
  doc["windows"]["hyperv"]["utilityVMPath"] = "C:\\uvm";
  EXPECT_EQ(error_path(run(doc)), "windows.hyperv.utilityVMPath");
}

TEST(HcsTranslate, HyperVBootsTheTopmostLayersUtilityVm) {
  json doc = hyperv_config();
  doc["windows"]["layerFolders"] = {"C:\\l\\app", "C:\\l\\mid", "C:\\l\\base", "C:\\l\\c1"};
  Translated t = run(doc, [](Request& r) {
    r.has_utility_vm = [](const std::string& f) { return f == "C:\\l\\mid" || f == "C:\\l\\base"; };
  });
  ASSERT_TRUE(t.docs) << t.docs.error().message;
  EXPECT_EQ(v1_of(t)["HvRuntime"]["ImagePath"], "C:\\l\\mid\\UtilityVM");
  EXPECT_EQ(v1_of(t)["HvPartition"], true);
  EXPECT_FALSE(v1_of(t).contains("VolumePath"));
  t = run(doc, [](Request& r) { r.has_utility_vm = [](const std::string&) { return false; }; });
  EXPECT_EQ(error_path(t), "windows.layerFolders");
}

TEST(HcsTranslate, CpuCountIsClampedToTheHostsWithAWarning) {
  json doc = base_config();
  doc["windows"]["resources"]["cpu"]["count"] = 64;
  Translated t = run(doc);
  ASSERT_TRUE(t.docs) << t.docs.error().message;
  EXPECT_EQ(v1_of(t)["ProcessorCount"], 4);
  EXPECT_EQ(v2_container_of(t)["Processor"]["Count"], 4);
  ASSERT_EQ(t.docs->warnings.size(), 1u);
  EXPECT_TRUE(t.docs->warnings[0].starts_with("windows.resources.cpu.count: ")) << t.docs->warnings[0];
  // At or under the host's count: as asked, no warning.
  doc["windows"]["resources"]["cpu"]["count"] = 4;
  t = run(doc);
  EXPECT_EQ(v1_of(t)["ProcessorCount"], 4);
  EXPECT_TRUE(t.docs->warnings.empty());
}

TEST(HcsTranslate, MemoryLimitIsInWholeMegabytes) {
  json doc = base_config();
  doc["windows"]["resources"]["memory"]["limit"] = 256 * 1024 * 1024 + 1024 * 1024 - 1;
  Translated t = run(doc);
  ASSERT_TRUE(t.docs) << t.docs.error().message;
  EXPECT_EQ(v1_of(t)["MemoryMaximumInMB"], 256);
  EXPECT_EQ(v2_container_of(t)["Memory"]["SizeInMB"], 256);
}

TEST(HcsTranslate, MemoryLimitUnderAMegabyteIsRefused) {
  json doc = base_config();
  doc["windows"]["resources"]["memory"]["limit"] = 1024 * 1024 - 1;
  EXPECT_EQ(error_path(run(doc)), "windows.resources.memory.limit");
}

TEST(HcsTranslate, StorageQosMustFitTheV2Schema) {
  json doc = base_config();
  doc["windows"]["resources"]["storage"]["bps"] = 4294967296;
  EXPECT_EQ(error_path(run(doc)), "windows.resources.storage.bps");
  doc["windows"]["resources"]["storage"] = {{"iops", 4294967296}};
  EXPECT_EQ(error_path(run(doc)), "windows.resources.storage.iops");
}

TEST(HcsTranslate, HostedPathsMustBeSharedIntoTheVm) {
  json doc = hyperv_config();
  doc["mounts"] = {{{"destination", "C:\\data"}, {"source", "C:\\v\\data"}}};
  auto share = [](const std::vector<std::string>& shared) {
    return [shared](Request& r) {
      r.hosting.emplace().id = "vm1";
      r.hosting->guest_path = [shared](const std::string& p) -> std::optional<std::string> {
        if (std::find(shared.begin(), shared.end(), p) == shared.end()) return std::nullopt;
        return "\\\\?\\VMSMB\\" + p.substr(3);
      };
    };
  };
  EXPECT_EQ(error_path(run(doc, share({}))), "windows.layerFolders[0]");
  EXPECT_EQ(error_path(run(doc, share({"C:\\layers\\base"}))), "mounts[0].source");
  Translated t = run(doc, share({"C:\\layers\\base", "C:\\v\\data"}));
  ASSERT_TRUE(t.docs) << t.docs.error().message;
  json v2 = json::parse(t.docs->compute_system);
  EXPECT_EQ(v2["HostingSystemId"], "vm1");
  EXPECT_FALSE(v2.contains("Container"));
  EXPECT_EQ(v2["HostedSystem"]["Container"]["MappedDirectories"][0]["HostPath"], "\\\\?\\VMSMB\\v\\data");
}

}  // namespace
}  // namespace berth::platform::hcs
