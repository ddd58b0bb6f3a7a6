// libFuzzer: config.json through the parser and validator (oci::parse_spec),
// and the sections berth also reads alone (update --resources, the seccomp
// profile recorded for exec). Any input must give a Spec or an Error: no
// crash, no exception, no sanitizer report. A spec with a windows section
// goes on through the HCS translation (platform/hcs), with fixed host facts,
// which must give documents or an Error as well.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "oci/parse.h"
#include "platform/hcs/process.h"
#include "platform/hcs/translate.h"

namespace {

namespace hcs = berth::platform::hcs;

void translate_windows(const berth::oci::Spec& spec) {
  hcs::Request req;
  req.id = "fuzz";
  req.spec = &spec;
  req.bundle = "C:\\bundle";
  req.host_cpu_count = 4;
  req.layer_id = [](const std::string& folder) { return "id:" + folder; };
  req.has_utility_vm = [](const std::string& folder) { return folder.size() % 2 == 0; };
  for (int hosted = 0; hosted < 2; ++hosted) {
    if (hosted) {
      req.hosting.emplace().id = "vm";
      req.hosting->cpu_count = 2;
      req.hosting->guest_path = [](const std::string& p) -> std::optional<std::string> {
        if (p.size() % 3 == 0) return std::nullopt;
        return "\\\\?\\VMSMB\\" + p;
      };
    }
    auto docs = hcs::translate(req);
    if (!docs && docs.error().message.empty()) __builtin_trap();
  }
  if (spec.process) (void)hcs::process_parameters(*spec.process, &*spec.process);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto spec = berth::oci::parse_spec(text);
  if (!spec && spec.error().message.empty()) __builtin_trap();  // errors must say something
  if (spec && spec->windows) translate_windows(*spec);
  (void)berth::oci::parse_resources(text);
  (void)berth::oci::parse_seccomp(text);
  return 0;
}
