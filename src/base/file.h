// Small file and string helpers used across berth. All fds are O_CLOEXEC.
// The string helpers (split, trim, parse_*) are in strings.cc, which builds
// on Windows too.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/fd.h"
#include "base/result.h"

namespace berth {

// Opens path (relative to dirfd when dirfd != AT_FDCWD); errors name the path.
Result<Fd> open_at(int dirfd, const std::string& path, int flags, mode_t mode = 0);
Result<Fd> open_file(const std::string& path, int flags, mode_t mode = 0);

// Reads a whole file (or fd from its current offset to EOF).
inline constexpr size_t kMaxInputFile = 64 << 20;
Result<std::string> read_file(const std::string& path);
// For files a user hands berth (config.json, exec -p, update --resources):
// only a regular file of at most max_bytes, so a fifo or /dev/zero in its
// place is an error instead of a hang.
Result<std::string> read_input_file(const std::string& path, size_t max_bytes = kMaxInputFile);
Result<std::string> read_fd(int fd);
// Reads a regular file fstat says has size bytes: one read(2) unless it has
// grown since, as a regular file's reads come back short only at its end.
Result<std::string> read_regular_fd(int fd, size_t size);
// For files a user may hand over as a stream (exec --process, update
// --resources): a regular file, a pipe or fifo (`<(...)`, /dev/stdin), a
// socket or a terminal, read to EOF but never past max_bytes (so /dev/zero is
// an error, not an endless read). A fifo nobody has open for writing reads
// as empty (runc would block on it). "-" is standard input.
Result<std::string> read_stream_file(const std::string& path, size_t max_bytes = kMaxInputFile);
Result<std::string> read_stream_fd(int fd, const std::string& name, size_t max_bytes = kMaxInputFile);

// Writes data to an existing file (e.g. /proc/PID/uid_map), in one write().
// Creates (or truncates) path and writes data; a symlink at path is refused.
Status create_file(const std::string& path, std::string_view data, mode_t mode);
Status write_file(const std::string& path, std::string_view data);

// Writes data to dir/name atomically: a temp file in the same directory, then
// rename(2) over name. A reader sees the old or the new content, never a mix.
// No fsync: state lives on tmpfs, and a machine crash empties it anyway.
Status write_file_atomic(int dirfd, const std::string& name, std::string_view data, mode_t mode);

// mkdir -p with mode for each created component; existing directories are fine.
Status mkdir_all(const std::string& path, mode_t mode);

// Removes a directory tree below dirfd/name without following symlinks and
// without entering a mount point below it (EBUSY).
Status remove_all_at(int dirfd, const std::string& name);

bool path_exists(const std::string& path);

// Path helpers (purely lexical).
std::string path_join(std::string_view a, std::string_view b);
// Lexical clean like Go's filepath.Clean: "//a/./b/../c/" -> "/a/c".
std::string path_clean(std::string_view p);

std::vector<std::string> split(std::string_view s, char sep);
std::string_view trim(std::string_view s);
// Parses a decimal integer that must fill the whole string.
bool parse_int64(std::string_view s, int64_t& out);
bool parse_uint64(std::string_view s, uint64_t& out);

// RFC 3339 with nanoseconds in UTC, as Go prints time.Time: 2024-01-02T03:04:05.123456789Z
std::string format_rfc3339_nano(int64_t sec, long nsec);
std::string now_rfc3339_nano();

}  // namespace berth
