// berth-docs DIR: writes berth's man pages (DIR/man8/berth.8, one
// DIR/man8/berth-NAME.8 per command) and completion (DIR/bash-completion/berth,
// DIR/zsh/_berth) from the command table. A build tool, not installed.
#include <sys/stat.h>

#include <cstdio>
#include <string>

#include "cli/docs.h"

namespace {

bool write(const std::string& path, const std::string& text) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr || std::fwrite(text.data(), 1, text.size(), f) != text.size() || std::fclose(f) != 0) {
    std::perror(path.c_str());
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace berth::cli;
  if (argc != 2) {
    std::fprintf(stderr, "usage: berth-docs DIR\n");
    return 1;
  }
  std::string dir = argv[1];
  for (const char* sub : {"", "/man8", "/bash-completion", "/zsh"}) ::mkdir((dir + sub).c_str(), 0755);
  bool ok = write(dir + "/man8/berth.8", man_page());
  for (const Command* c : commands()) ok = ok && write(dir + "/man8/berth-" + c->name + ".8", man_page(*c));
  ok = ok && write(dir + "/bash-completion/berth", bash_completion());
  ok = ok && write(dir + "/zsh/_berth", zsh_completion());
  return ok ? 0 : 1;
}
