// What a fragment of the README or of include/berth/berth.h may use without
// declaring it (tests/library/extract_snippets.sh puts this first and the
// fragment in the body of `libberth::Status snippet()`): the header, the
// standard headers a program would have, and the values a daemon has from
// elsewhere. A name a fragment uses that is not here fails the test: add it
// here only if a reader of the snippet would know where it comes from.
#pragma once

#include <berth/berth.h>

#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

// A runtime-spec config and process.
inline const std::string spec_json = "{}";
inline const std::string process_json = "{}";
// The bundle directory.
inline const std::string dir = "/var/lib/mydaemon/web";
// The caller's ends of the container's stdout and stderr.
inline const int out = 1, err = 2;
// The daemon's event handler.
inline void on_event(const libberth::Event&) {}
