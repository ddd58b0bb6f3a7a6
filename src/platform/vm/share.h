// A container's directory in its VM's share, on the host. The guest can
// create, rename and symlink anything in the share (virtio-fs serves it
// read-write), so the host never resolves a path in it by name: the share's
// root (the export, which the guest cannot replace) is opened by its path,
// the container's directory below it without following a symlink, and
// every entry relative to that fd, again without following one.
#pragma once

#include <string>
#include <string_view>

#include "base/fd.h"
#include "base/result.h"

namespace berth::vm {

// Makes share (ROOT/ID, ROOT existing) and opens it.
Result<Fd> make_share_dir(const std::string& share);
// Opens share; kNotFound when it is not there (or is not a directory).
Result<Fd> open_share_dir(const std::string& share);

// Binds source (a file or a directory, symlinks in it resolved on the host
// as runc resolves a bind's source) at share/name, a private mount.
Status bind_into_share(int share_fd, const std::string& source, const std::string& name);
// Creates share/name (it must not exist) holding data.
Status write_into_share(int share_fd, const std::string& name, std::string_view data);

// Unmounts every mount at or below share, then removes what is left: our
// files and the empty mount points (never recursively: a bind that would
// not go stops the removal instead of emptying its source).
Status remove_share(const std::string& share);

}  // namespace berth::vm
