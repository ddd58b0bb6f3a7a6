#include "cli/docs.h"

#include "cli/version.h"

namespace berth::cli {

namespace {

// roff: a backslash is \e, a line starting with . or ' is protected by \&,
// and a hyphen in an option is \- (so it is not rendered as a dash).
std::string roff(std::string_view text) {
  std::string out;
  bool line_start = true;
  for (char c : text) {
    if (line_start && (c == '.' || c == '\'')) out += "\\&";
    if (c == '\\')
      out += "\\e";
    else if (c == '-')
      out += "\\-";
    else
      out += c;
    line_start = c == '\n';
  }
  return out;
}

// The description's paragraphs (blank-line separated) as roff paragraphs.
std::string paragraphs(std::string_view text) {
  std::string out;
  size_t at = 0;
  while (at <= text.size()) {
    size_t end = text.find("\n\n", at);
    if (end == std::string_view::npos) end = text.size();
    out += ".PP\n" + roff(text.substr(at, end - at)) + "\n";
    at = end + 2;
  }
  return out;
}

std::string option_names(const Option& o) {
  std::string names;
  for (const auto& n : o.names) {
    if (!names.empty()) names += ", ";
    names += "\\fB" + roff((n.size() == 1 ? "-" : "--") + n) + "\\fR";
  }
  if (o.takes_value) names += " \\fIvalue\\fR";
  return names;
}

std::string options_section(std::span<const Option> options) {
  std::string out;
  for (const auto& o : options) out += ".TP\n" + option_names(o) + "\n" + roff(o.help) + "\n";
  return out;
}

std::string header(const std::string& name, const std::string& summary) {
  std::string upper;
  for (char c : name) upper += static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  return ".TH " + upper + " 8 \"\" \"berth " BERTH_VERSION "\" \"System Manager's Manual\"\n.SH NAME\n" + roff(name) +
         " \\- " + roff(summary) + "\n";
}

// Every name an option answers to, with its dashes.
std::string flag_words(std::span<const Option> options) {
  std::string out;
  for (const auto& o : options)
    for (const auto& n : o.names) out += std::string(out.empty() ? "" : " ") + (n.size() == 1 ? "-" : "--") + n;
  return out;
}

bool takes_id(const Command& c) { return std::string_view(c.arguments).find("<container-id>") == 0; }

}  // namespace

std::string man_page() {
  std::string m = header("berth", "an OCI container runtime");
  m += ".SH SYNOPSIS\n\\fBberth\\fR [\\fIglobal options\\fR] \\fIcommand\\fR [\\fIcommand options\\fR] "
       "[\\fIarguments\\fR...]\n";
  m += ".SH DESCRIPTION\n" +
       paragraphs(
           "berth runs containers from OCI bundles (a config.json and a root filesystem), as the "
           "runtime-spec describes, with runc's command line: podman, buildah, containerd, docker, CRI-O "
           "and Kubernetes use it in place of runc or crun. The state of each container is kept under "
           "the state root (--root).\n\n"
           "Every command answers --help; berth help COMMAND prints the same.");
  m += ".SH COMMANDS\n";
  for (const Command* c : commands()) {
    m += ".TP\n\\fB" + roff(c->name) + "\\fR";
    if (c->alias) m += ", \\fB" + roff(c->alias) + "\\fR";
    m += "\n" + roff(c->summary) + " (see \\fBberth\\-" + roff(c->name) + "\\fR(8))\n";
  }
  m += ".SH GLOBAL OPTIONS\n" + options_section(global_options());
  m += ".SH EXIT STATUS\n" +
       paragraphs(
           "0 on success and 1 on an error, which is printed to stderr (and to the log, with --log). "
           "run and exec in the foreground exit with the container process's exit code (128+N "
           "for a signal N); exec exits 255 when berth itself fails after its flags parsed.");
  m += ".SH FILES\n.TP\n\\fI/run/berth\\fR\nthe default state root (root); \\fI$XDG_RUNTIME_DIR/berth\\fR for "
       "other users.\n";
  m += ".SH SEE ALSO\n";
  std::string sep;
  for (const Command* c : commands()) {
    m += sep + "\\fBberth\\-" + roff(c->name) + "\\fR(8)";
    sep = ",\n";
  }
  m += ",\n\\fBrunc\\fR(8)\n";
  return m;
}

std::string man_page(const Command& c) {
  std::string name = std::string("berth-") + c.name;
  std::string m = header(name, c.summary);
  m += ".SH SYNOPSIS\n\\fBberth\\fR [\\fIglobal options\\fR] \\fB" + roff(c.name) + "\\fR [\\fIcommand options\\fR]";
  if (*c.arguments) m += " " + roff(c.arguments);
  m += "\n";
  if (c.alias) m += ".PP\nAlso \\fBberth " + roff(c.alias) + "\\fR.\n";
  m += ".SH DESCRIPTION\n" + paragraphs(c.description);
  m += ".SH OPTIONS\n" + options_section(accepted_options(c));
  m += ".SH SEE ALSO\n\\fBberth\\fR(8)\n";
  return m;
}

std::string bash_completion() {
  std::string names, per_command, id_commands;
  for (const Command* c : commands()) {
    for (const char* n : {c->name, c->alias}) {
      if (n == nullptr) continue;
      names += std::string(names.empty() ? "" : " ") + n;
      per_command += std::string("    ") + n + ") opts=\"" + flag_words(accepted_options(*c)) + "\" ;;\n";
      if (takes_id(*c)) id_commands += std::string(id_commands.empty() ? "" : "|") + n;
    }
  }
  std::string valued;
  for (const auto& o : global_options())
    if (o.takes_value && o.names.front() != "root")
      for (const auto& n : o.names) valued += std::string(valued.empty() ? "" : "|") + (n.size() == 1 ? "-" : "--") + n;
  return "# bash completion for berth (generated from its command table)\n"
         "_berth() {\n"
         "  local cur=${COMP_WORDS[COMP_CWORD]} cmd='' root=() i w\n"
         "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
         "    w=${COMP_WORDS[i]}\n"
         "    case $w in\n"
         "      --root|-root) root=(--root \"${COMP_WORDS[i+1]}\"); ((i++)) ;;\n"
         "      " +
         valued +
         ") ((i++)) ;;\n"
         "      -*) ;;\n"
         "      *) cmd=$w; break ;;\n"
         "    esac\n"
         "  done\n"
         "  if [[ -z $cmd ]]; then\n"
         "    if [[ $cur == -* ]]; then\n"
         "      mapfile -t COMPREPLY < <(compgen -W \"" +
         flag_words(global_options()) +
         "\" -- \"$cur\")\n"
         "    else\n"
         "      mapfile -t COMPREPLY < <(compgen -W \"" +
         names +
         " help\" -- \"$cur\")\n"
         "    fi\n"
         "    return\n"
         "  fi\n"
         "  local opts=''\n"
         "  case $cmd in\n" +
         per_command + "    help) mapfile -t COMPREPLY < <(compgen -W \"" + names +
         "\" -- \"$cur\"); return ;;\n"
         "  esac\n"
         "  if [[ $cur == -* ]]; then\n"
         "    mapfile -t COMPREPLY < <(compgen -W \"$opts\" -- \"$cur\")\n"
         "  elif [[ $cmd == @(" +
         id_commands +
         ") ]]; then\n"
         "    mapfile -t COMPREPLY < <(compgen -W \"$(berth \"${root[@]}\" list -q 2>/dev/null)\" -- \"$cur\")\n"
         "  fi\n"
         "}\n"
         "complete -F _berth berth\n";
}

namespace {

// A zsh _arguments spec for an option: '(--bundle -b)'{--bundle,-b}'[help]:value:'
std::string zsh_option(const Option& o) {
  std::string help;
  for (char c : std::string_view(o.help)) {
    if (c == '\'')
      help += "'\\''";
    else if (c == '[' || c == ']' || c == ':')
      help += std::string("\\") + c;
    else
      help += c;
  }
  std::string spec;
  for (const auto& n : o.names) {
    std::string flag = (n.size() == 1 ? "-" : "--") + n;
    spec += "      '" + flag + "[" + help + "]" + (o.takes_value ? ":value:" : "") + "' \\\n";
  }
  return spec;
}

}  // namespace

std::string zsh_completion() {
  std::string describe, cases;
  for (const Command* c : commands()) {
    for (const char* n : {c->name, c->alias}) {
      if (n == nullptr) continue;
      describe += std::string("    '") + n + ":" + c->summary + "'\n";
      cases += std::string("    ") + n + ")\n      _arguments \\\n";
      for (const auto& o : accepted_options(*c)) cases += zsh_option(o);
      cases += takes_id(*c) ? "      '1:container:_berth_containers' '*::argument:_files'\n      ;;\n"
                            : "      '*::argument:_files'\n      ;;\n";
    }
  }
  std::string global;
  for (const auto& o : global_options()) global += zsh_option(o);
  return "#compdef berth\n"
         "# zsh completion for berth (generated from its command table)\n\n"
         "_berth_containers() {\n"
         "  local -a ids\n"
         "  ids=(${(f)\"$(berth list -q 2>/dev/null)\"})\n"
         "  _describe 'container' ids\n"
         "}\n\n"
         "_berth_commands() {\n"
         "  local -a cmds\n"
         "  cmds=(\n" +
         describe +
         "    'help:show the help of a command'\n  )\n"
         "  _describe 'command' cmds\n"
         "}\n\n"
         "_berth() {\n"
         "  local curcontext=$curcontext state line\n"
         "  _arguments -C \\\n" +
         global +
         "      '1:command:_berth_commands' \\\n"
         "      '*::arg:->args'\n"
         "  [[ $state == args ]] || return\n"
         "  case $words[1] in\n" +
         cases +
         "    help) _berth_commands ;;\n"
         "  esac\n"
         "}\n\n"
         "_berth \"$@\"\n";
}

}  // namespace berth::cli
