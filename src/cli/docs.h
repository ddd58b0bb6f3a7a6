// Man pages and shell completion, printed from the command table
// (cli/command.h), so they list exactly what the parser accepts. Written
// at build time by berth-docs (cli/docs_main.cc) and installed with berth.
#pragma once

#include <string>

#include "cli/command.h"

namespace berth::cli {

// berth(8): the synopsis, the global options and the list of commands.
std::string man_page();
// berth-NAME(8).
std::string man_page(const Command& c);

// Completion for bash (complete -F) and zsh (#compdef): commands, their
// options, and container ids (from `berth list -q`) where an id is expected.
std::string bash_completion();
std::string zsh_completion();

}  // namespace berth::cli
