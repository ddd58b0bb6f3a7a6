#include "platform/platform.h"

namespace berth::platform {

void Registry::add(Platform* p) {
  for (Platform* q : platforms_)
    if (q == p || q->name() == p->name()) return;  // once: a library may be loaded beside the binary
  platforms_.push_back(p);
}

Result<Platform*> Registry::find(std::string_view name) const {
  for (Platform* p : platforms_)
    if (p->name() == name) return p;
  return make_error(ErrorKind::kNotFound, "platform \"" + std::string(name) + "\" is not part of this berth");
}

Result<Platform*> Registry::choose(const oci::Spec& spec) const {
  if (platforms_.empty()) return make_error(ErrorKind::kInternal, "no platform registered");
  // A VM or Windows container run as a plain Linux one would be less
  // isolated than asked: the section decides, and no platform for it is an
  // error, never a fallback.
  for (const auto& section : spec.other_platforms) {
    for (Platform* p : platforms_)
      if (p->honours(section)) return p;
    return make_error(ErrorKind::kNotImplemented,
                      section + ": not supported by this berth yet (no platform runs " + section + " containers)");
  }
  return platforms_.front();
}

Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace berth::platform
