// runhcs's sandbox and host rules (platform/hcs/translate.h, place): which
// sandbox a Windows container joins and which utility VM it runs in.
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "platform/hcs/translate.h"

namespace berth::platform::hcs {
namespace {

constexpr const char* kIdKey = "io.kubernetes.cri.sandbox-id";
constexpr const char* kWhere = R"(annotations["io.kubernetes.cri.sandbox-id"])";

class Place : public ::testing::Test {
 protected:
  Place() {
    process_.windows.emplace();
    hyperv_.windows.emplace().hyperv.emplace();
    // pod1: a Hyper-V sandbox that owns its VM; pod2: a process-isolated
    // sandbox; plain: not a sandbox.
    records_["pod1"] = {"pod1", "pod1", "pod1", true};
    records_["pod2"] = {"pod2", "pod2", "", false};
    records_["plain"] = {"plain", "", "", false};
  }

  Result<Placement> place_member(const oci::Spec& spec, const std::string& sandbox, const std::string& host = "") {
    PlacementRequest req = request("c1", spec);
    req.sandbox_id = sandbox;
    req.requested_host = host;
    return place(req);
  }

  PlacementRequest request(const std::string& id, const oci::Spec& spec) {
    PlacementRequest req;
    req.id = id;
    req.spec = &spec;
    req.id_annotation = kIdKey;
    req.lookup = [this](const std::string& key) -> std::optional<Record> {
      auto it = records_.find(key);
      if (it == records_.end()) return std::nullopt;
      return it->second;
    };
    return req;
  }

  static std::string path_of(const Result<Placement>& r) {
    if (r) return "(no error)";
    return r.error().message.substr(0, r.error().message.find(": "));
  }

  oci::Spec process_, hyperv_;
  std::map<std::string, Record> records_;
};

TEST_F(Place, SandboxIdMustMatchId) {
  PlacementRequest req = request("pod9", hyperv_);
  req.is_sandbox = true;
  req.sandbox_id = "pod8";
  auto r = place(req);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(path_of(r), kWhere);
  EXPECT_NE(r.error().message.find("sandbox ID must match ID"), std::string::npos) << r.error().message;
}

TEST_F(Place, HyperVSandboxGetsAVmOfItsOwn) {
  PlacementRequest req = request("pod9", hyperv_);
  req.is_sandbox = true;
  req.sandbox_id = "pod9";
  auto r = place(req);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->new_vm);
  EXPECT_TRUE(r->vm_isolated);
  EXPECT_EQ(r->host_id, "pod9");
  EXPECT_EQ(r->sandbox_id, "pod9");
}

TEST_F(Place, ProcessIsolatedSandboxHasNoVm) {
  PlacementRequest req = request("pod9", process_);
  req.is_sandbox = true;
  req.sandbox_id = "pod9";
  auto r = place(req);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->new_vm);
  EXPECT_EQ(r->host_id, "");
}

// From RS5 a Hyper-V container outside any sandbox gets its own VM (HCS v2);
// before, HCS runs it from the v1 document (HvPartition) with no host.
TEST_F(Place, LoneHyperVContainerGetsAVmFromRS5) {
  PlacementRequest req = request("c1", hyperv_);
  auto r = place(req);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->new_vm);
  EXPECT_EQ(r->host_id, "c1");
  req.os_build = 17134;  // RS4
  r = place(req);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->new_vm);
  EXPECT_EQ(r->host_id, "");
}

TEST_F(Place, MemberRunsInItsSandboxsVm) {
  auto r = place_member(hyperv_, "pod1");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->sandbox_id, "pod1");
  EXPECT_EQ(r->host_id, "pod1");
  EXPECT_FALSE(r->new_vm);
  // A process-isolated member of a VM sandbox runs in the VM too (runhcs).
  r = place_member(process_, "pod1");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->host_id, "pod1");
}

TEST_F(Place, MemberOfAProcessIsolatedSandboxRunsOnTheHost) {
  auto r = place_member(process_, "pod2");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->host_id, "");
}

TEST_F(Place, MissingSandboxIsNotFound) {
  auto r = place_member(process_, "nosuch");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(path_of(r), kWhere);
}

TEST_F(Place, SandboxMustBeASandbox) {
  auto r = place_member(process_, "plain");
  EXPECT_EQ(path_of(r), kWhere);
  EXPECT_NE(r.error().message.find("is not a sandbox"), std::string::npos) << r.error().message;
}

TEST_F(Place, RequestedHostMustBeTheSandboxsVmHost) {
  records_["vm2"] = {"vm2", "vm2", "vm2", true};
  auto r = place_member(hyperv_, "pod1", "vm2");
  EXPECT_EQ(path_of(r), kWhere);
  EXPECT_NE(r.error().message.find("\"vm2\""), std::string::npos) << r.error().message;
  r = place_member(hyperv_, "pod1", "pod1");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->host_id, "pod1");
}

TEST_F(Place, HostAskedForButSandboxHasNoVm) {
  records_["vm2"] = {"vm2", "vm2", "vm2", true};
  EXPECT_EQ(path_of(place_member(process_, "pod2", "vm2")), kWhere);
}

TEST_F(Place, HyperVMemberNeedsAVmSandbox) {
  auto r = place_member(hyperv_, "pod2");
  EXPECT_EQ(path_of(r), kWhere);
  EXPECT_NE(r.error().message.find("not VM isolated"), std::string::npos) << r.error().message;
}

TEST_F(Place, HostMustOwnAVm) {
  records_["pod3"] = {"pod3", "pod3", "plain", false};  // a record naming a host that is not one
  auto r = place_member(process_, "pod3");
  EXPECT_EQ(path_of(r), kWhere);
  EXPECT_NE(r.error().message.find("is not a VM host"), std::string::npos) << r.error().message;
  // A host asked for outside any sandbox: the error names the flag.
  PlacementRequest req = request("c1", process_);
  req.requested_host = "plain";
  EXPECT_EQ(path_of(place(req)), "--host");
  req.requested_host = "nosuch";
  auto missing = place(req);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
}

TEST_F(Place, NoSandboxNoHost) {
  auto r = place(request("c1", process_));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->sandbox_id, "");
  EXPECT_EQ(r->host_id, "");
  EXPECT_FALSE(r->vm_isolated);
}

}  // namespace
}  // namespace berth::platform::hcs
