// HCS process parameters and Windows command line quoting.
#include "platform/hcs/process.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace berth::platform::hcs {
namespace {

using nlohmann::json;

TEST(HcsProcess, EscapeArgFollowsTheWindowsRules) {
  EXPECT_EQ(escape_arg("plain"), "plain");
  EXPECT_EQ(escape_arg(""), R"("")");
  EXPECT_EQ(escape_arg("two words"), R"("two words")");
  EXPECT_EQ(escape_arg("tab\there"), "\"tab\there\"");
  EXPECT_EQ(escape_arg(R"(C:\Program Files\)"), R"("C:\Program Files\\")");  // the closing quote stays one
  EXPECT_EQ(escape_arg(R"(C:\dir\)"), R"(C:\dir\)");                         // no quote: backslashes as they are
  EXPECT_EQ(escape_arg(R"(say "hi")"), R"("say \"hi\"")");
  EXPECT_EQ(escape_arg(R"(a\"b)"), R"(a\\\"b)");
  EXPECT_EQ(escape_args({"cmd", "/c", "echo hello", ""}), R"(cmd /c "echo hello" "")");
}

TEST(HcsProcess, InitParameters) {
  oci::Process p;
  p.args = {"cmd", "/c", "echo hello"};
  p.cwd = "C:\\app";
  p.env = {"PATH=C:\\Windows", "A=b=c", "BROKEN"};
  p.user.username = "ContainerUser";
  p.console_size = oci::ConsoleSize{25, 80};
  json j = json::parse(process_parameters(p));
  EXPECT_EQ(j, json::parse(R"({
    "CommandLine": "cmd /c \"echo hello\"",
    "User": "ContainerUser",
    "WorkingDirectory": "C:\\app",
    "Environment": {"PATH": "C:\\Windows", "A": "b=c"},
    "CreateStdInPipe": true,
    "CreateStdOutPipe": true,
    "CreateStdErrPipe": true,
    "ConsoleSize": [25, 80]
  })"))
      << j.dump(2);
}

TEST(HcsProcess, CommandLineWinsOverArgs) {
  oci::Process p;
  p.args = {"ignored"};
  p.command_line = R"(cmd /c "dir C:\")";
  p.cwd = "C:\\";
  EXPECT_EQ(json::parse(process_parameters(p))["CommandLine"], p.command_line);
}

TEST(HcsProcess, TerminalEmulatesAConsoleWithoutStderr) {
  oci::Process p;
  p.args = {"cmd"};
  p.cwd = "C:\\";
  p.terminal = true;
  json j = json::parse(process_parameters(p));
  EXPECT_EQ(j["EmulateConsole"], true);
  EXPECT_FALSE(j.contains("CreateStdErrPipe"));
  EXPECT_EQ(j["CreateStdInPipe"], true);
  EXPECT_EQ(j["CreateStdOutPipe"], true);
}

TEST(HcsProcess, ExecTakesTheInitsCwdAndSizesOnlyATerminal) {
  oci::Process init;
  init.args = {"cmd"};
  init.cwd = "C:\\app";
  oci::Process exec;
  exec.args = {"ping", "localhost"};
  exec.console_size = oci::ConsoleSize{40, 120};
  json j = json::parse(process_parameters(exec, &init));
  EXPECT_EQ(j["WorkingDirectory"], "C:\\app");
  EXPECT_FALSE(j.contains("ConsoleSize"));
  exec.terminal = true;
  exec.cwd = "D:\\";
  j = json::parse(process_parameters(exec, &init));
  EXPECT_EQ(j["WorkingDirectory"], "D:\\");
  EXPECT_EQ(j["ConsoleSize"], json::parse("[40, 120]"));
}

}  // namespace
}  // namespace berth::platform::hcs
