// Test harness for integration tests: each test gets a private --root and
// bundle under a temp dir, a config built from runc's default spec with the
// test rootfs (busybox + probe), and cleanup that runs even when the test
// fails: delete --force of every container, then the temp dir.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <atomic>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace berth::test {

struct RunResult {
  int code = -1;  // exit code, 128+signal, or -1 on timeout
  std::string out;
  std::string err;
};

// Runs argv with stdin from /dev/null and stdout/stderr to files, so a
// container that inherits them cannot hold the test up. Waits for argv[0]'s
// process only.
// When started is given, the child's pid is stored there once it runs.
RunResult run_cmd(const std::vector<std::string>& argv, int timeout_ms = 60000, std::atomic<pid_t>* started = nullptr);

// True if pid exists and is not a zombie.
bool pid_alive(int pid);

// The mount points of /proc/self/mountinfo, for before/after comparisons.
std::vector<std::string> mount_points();

// Parses "key=value" lines of probe output.
std::map<std::string, std::string> parse_probe(const std::string& out);

// The runtime under test: $BERTH_RUNTIME (any runc-compatible binary, e.g.
// /usr/sbin/runc for the differential run) or, unset or empty, the berth
// built with the tests (BERTH_BINARY). Tests about berth's own binary (its
// version text, `spec --seccomp`, the shim executable) use BERTH_BINARY.
const std::string& runtime();
// True when runtime() is berth: its `--version` starts with "berth version".
bool runtime_is_berth();
// The runtime's name as it names its default state directory
// ($XDG_RUNTIME_DIR/<name>): "berth", or the binary's basename ("runc").
std::string runtime_name();

// `<runtime> features` (runtime-spec's features document), parsed once; an
// empty object if the runtime has no such command.
const nlohmann::json& runtime_features();
// True if the runtime's features.ociVersionMax is at least version ("1.1.0").
bool runtime_spec_at_least(const std::string& version);

// Skips the rest of a test (or, in SetUp, the test) when the runtime under
// test is not berth, printing why: for berth's own extensions (the shim,
// sandbox annotations, crash points, its error kinds and internal files).
// Never for a test a runtime merely fails.
#define BERTH_ONLY(reason)                                                                                       \
  do {                                                                                                           \
    if (!::berth::test::runtime_is_berth())                                                                      \
      GTEST_SKIP() << "berth-only: " << (reason) << " (runtime under test: " << ::berth::test::runtime() << ")"; \
  } while (0)

// Skips the rest of a test when the runtime implements an older runtime-spec
// than the one that added what the test checks (runc 1.1.5: 1.0.2).
#define REQUIRES_SPEC(version, what)                                                                                   \
  do {                                                                                                                 \
    if (!::berth::test::runtime_spec_at_least(version))                                                                \
      GTEST_SKIP() << (what) << " is runtime-spec " << (version) << "; " << ::berth::test::runtime() << " implements " \
                   << ::berth::test::runtime_features().value("ociVersionMax", "?");                                   \
  } while (0)

class BerthTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // <runtime under test> --root <private root> args... (berth unless
  // $BERTH_RUNTIME names another runtime).
  RunResult berth(std::vector<std::string> args, int timeout_ms = 60000, std::atomic<pid_t>* started = nullptr);
  // Writes config to <bundle>/config.json.
  void write_config();
  // Sets process.args and writes the config.
  void set_args(const std::vector<std::string>& args);
  // The container's status from `berth state`, or "" if state fails.
  std::string status_of(const std::string& id);
  // A private copy of the test rootfs, for tests that change the image; the
  // config points at it.
  std::string own_rootfs();
  // Polls until the container reaches status or timeout; returns the last status.
  std::string wait_status(const std::string& id, const std::string& status, int timeout_ms = 5000);

  std::string tmp_;
  std::string root_;    // --root
  std::string bundle_;  // holds config.json
  nlohmann::json config_;
};

// A runc-style default config for the test rootfs, without a terminal.
nlohmann::json default_config();

std::string read_text(const std::string& path);
bool exists(const std::string& path);

}  // namespace berth::test
