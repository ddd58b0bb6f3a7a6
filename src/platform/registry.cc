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

Status Registry::set_default(std::string_view name) {
  auto p = find(name);
  if (!p) return std::move(p).error();
  default_ = *p;
  return {};
}

bool Registry::names_platform(const oci::Spec& spec) {
  return !spec.other_platforms.empty() || spec.annotations.count(kPlatformAnnotation) != 0;
}

Result<Platform*> Registry::choose(const oci::Spec& spec) const {
  if (platforms_.empty()) return make_error(ErrorKind::kInternal, "no platform registered");
  if (auto it = spec.annotations.find(kPlatformAnnotation); it != spec.annotations.end()) {
    // For clients that cannot write a platform section (a CRI annotation).
    auto p = find(it->second);
    if (!p) return invalid(std::string("annotations[\"") + kPlatformAnnotation + "\"]: " + p.error().message);
    return p;
  }
  // A VM or Windows container run as a plain Linux one would be less
  // isolated than asked: the section decides, and no platform for it is an
  // error, never a fallback.
  for (const auto& section : spec.other_platforms) {
    for (Platform* p : platforms_)
      if (p->honours(section)) return p;
    return make_error(ErrorKind::kNotImplemented,
                      section + ": not supported by this berth yet (no platform runs " + section + " containers)");
  }
  return default_ ? default_ : platforms_.front();
}

Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace berth::platform
