// berth's own pid and time namespaces, saved before it enters a container's
// for its next child (pid and time namespaces apply to children only), and
// entered again by restore() or the destructor: the hooks berth forks later,
// and LeakSanitizer's thread at exit in test builds, belong in the runtime's
// namespaces. create and exec both do this dance around their clone.
#pragma once

#include "base/fd.h"
#include "base/result.h"

namespace berth::lnx {

class OwnNamespaces {
 public:
  OwnNamespaces() = default;
  OwnNamespaces(const OwnNamespaces&) = delete;
  OwnNamespaces& operator=(const OwnNamespaces&) = delete;
  ~OwnNamespaces() { restore(); }

  // Saves the namespaces of types (CLONE_NEWPID | CLONE_NEWTIME) berth is in
  // now. Only those asked are opened: a kernel without time namespaces has no
  // /proc/self/ns/time.
  Status save(int types);
  // Goes back to what save() found; nothing when nothing was saved.
  void restore();

 private:
  Fd pid_, time_;
};

}  // namespace berth::lnx
