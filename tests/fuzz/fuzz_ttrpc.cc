// libFuzzer: bytes as they arrive on a shim's ttrpc socket, cut into frames
// the way the server cuts them, each answered as the server answers it
// (containerd::answer_frame), with a method that decodes the payload as
// every task service request. Every answer must be one whole response
// frame on the request's stream, whose Response decodes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "containerd/ttrpc.h"
#include "shim.pb.h"

namespace cd = berth::containerd;
namespace v2 = ::containerd::task::v2;

namespace {

cd::Reply decode_all(const cd::Call& call) {
  v2::CreateTaskRequest create;
  v2::ExecProcessRequest exec;
  v2::UpdateTaskRequest update;
  v2::KillRequest kill;
  v2::StateRequest state;
  const bool ok = create.ParseFromString(call.payload) | exec.ParseFromString(call.payload) |
                  update.ParseFromString(call.payload) | kill.ParseFromString(call.payload) |
                  state.ParseFromString(call.payload);
  if (!ok) return cd::Reply::error(cd::Code::kInvalidArgument, "bad payload");
  return cd::Reply::ok(create.SerializeAsString());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  while (in.size() >= cd::kFrameHeaderSize) {
    cd::FrameHeader h = cd::decode_frame_header(reinterpret_cast<const unsigned char*>(in.data()));
    in.remove_prefix(cd::kFrameHeaderSize);
    if (h.length > cd::kMaxMessage || h.length > in.size()) return 0;  // the server drops or waits
    std::string_view message = in.substr(0, h.length);
    in.remove_prefix(h.length);
    std::string out = cd::answer_frame(h, message, decode_all);
    if (out.empty()) {
      if (h.type == cd::kTypeRequest) __builtin_trap();  // every request is answered
      continue;
    }
    cd::FrameHeader r = cd::decode_frame_header(reinterpret_cast<const unsigned char*>(out.data()));
    if (r.stream_id != h.stream_id || r.type != cd::kTypeResponse || r.length != out.size() - cd::kFrameHeaderSize)
      __builtin_trap();
    if (!cd::parse_response(std::string_view(out).substr(cd::kFrameHeaderSize))) __builtin_trap();
  }
  return 0;
}
