#include <signal.h>
#include <string.h>

#include "base/file.h"
#include "cli/command.h"
#include "runtime/commands.h"

namespace berth::cli {

namespace {

const Option kKillOptions[] = {
    {{"all", "a"}, false, "send the signal to every process of the container"},
};

// "9", "KILL", "SIGKILL", "sigkill", "RTMIN+3" -> the signal number.
Result<int> parse_signal(const std::string& text) {
  int64_t n = 0;
  if (parse_int64(text, n)) {
    // 0 checks that the container's process exists, as kill(2) and runc do.
    if (n < 0 || n >= NSIG) return invalid("invalid signal \"" + text + "\"");
    return static_cast<int>(n);
  }
  std::string name;
  for (char c : text) name += static_cast<char>(toupper(static_cast<unsigned char>(c)));
  if (name.rfind("SIG", 0) == 0) name = name.substr(3);
  for (int sig = 1; sig < SIGRTMIN; ++sig) {
    const char* abbrev = sigabbrev_np(sig);
    if (abbrev != nullptr && name == abbrev) return sig;
  }
  if (name.rfind("RTMIN", 0) == 0 || name.rfind("RTMAX", 0) == 0) {
    int64_t off = 0;
    std::string rest = name.substr(5);
    if (rest.empty() || ((rest[0] == '+' || rest[0] == '-') && parse_int64(rest.substr(1), off))) {
      int sig = name[3] == 'I' ? SIGRTMIN + static_cast<int>(rest.empty() || rest[0] == '+' ? off : -off)
                               : SIGRTMAX - static_cast<int>(off);
      if (sig >= SIGRTMIN && sig <= SIGRTMAX) return sig;
    }
  }
  return invalid("unknown signal \"" + text + "\"");
}

int run_kill(Context& ctx, const Args& a) {
  auto sig = parse_signal(a.positional.size() == 2 ? a.positional[1] : "SIGTERM");
  if (!sig) return fail(ctx, sig.error());
  if (auto r = runtime::kill(ctx.store, a.positional[0], *sig, a.flag("all")); !r) return fail(ctx, r.error());
  return 0;
}

}  // namespace

const Command kKillCommand = {"kill",
                              nullptr,
                              "<container-id> [signal]",
                              1,
                              2,
                              "send a signal to a container's init process",
                              "Sends a signal to the container's init process (SIGTERM when none is named). The signal "
                              "is a number or a name, with or without SIG, in any case (9, KILL, SIGKILL, sigkill, "
                              "RTMIN+3); 0 only checks that the process exists. With --all the signal goes to every "
                              "process in the container's cgroup.\n\n"
                              "A created container can be killed before it was started; a stopped one cannot.",
                              kKillOptions,
                              true,
                              run_kill};

}  // namespace berth::cli
