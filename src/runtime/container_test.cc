#include "runtime/container.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/json_view.h"

namespace berth::runtime {
namespace {

// list writes its JSON directly; it must be what the state document with
// owner and sandbox dumps to.
std::string expected(const state::ContainerState& st, pid_t pid, state::Status status, const std::string& owner) {
  auto j = oci_state(st, pid, status);
  j["owner"] = owner;
  if (!st.sandbox.empty()) j["sandbox"] = st.sandbox;
  return j.dump();
}

TEST(ListEntry, IsTheStateDocumentWithOwnerAndSandbox) {
  state::ContainerState st;
  st.id = "web-1";
  st.bundle = "/b\"q\\ \n\t\x01\x1f\x7f é €";
  st.rootfs = "/b/rootfs";
  st.created = "2026-12-06T10:00:00.123456789Z";
  for (auto status : {state::Status::kCreated, state::Status::kRunning, state::Status::kStopped}) {
    std::string out;
    append_list_entry(out, st, 42, status, "root");
    EXPECT_EQ(out, expected(st, 42, status, "root"));
  }
  st.oci_version = "1.0.2";
  st.annotations = {{"b", "2"}, {"a\"", "\x02"}, {"io.kubernetes.cri.sandbox-id", "pod"}};
  st.sandbox = "pod";
  std::string out = "[";
  append_list_entry(out, st, 7, state::Status::kPaused, "#1000");
  EXPECT_EQ(out.substr(1), expected(st, 7, state::Status::kPaused, "#1000"));
  EXPECT_TRUE(nlohmann::json::accept(out.substr(1)));
}

TEST(ListEntry, EscapesEveryByteAsNlohmannDoes) {
  for (int c = 0; c < 0x80; ++c) {
    std::string s(1, static_cast<char>(c));
    std::string out;
    json::append_string(out, s);
    EXPECT_EQ(out, nlohmann::json(s).dump()) << "byte " << c;
  }
}

}  // namespace
}  // namespace berth::runtime
