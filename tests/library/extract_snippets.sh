#!/bin/sh
# Writes every C++ snippet of the README and of the library's header as a
# translation unit of its own:
#   extract_snippets.sh SOURCE_DIR OUT_DIR
# The snippets are
#   - each block fenced with ```c++ ... ``` in README.md (OUT_DIR/readme-N.cc);
#   - each block fenced with // ```c++ ... // ``` in a comment of
#     include/berth/berth.h, less the leading "// " (OUT_DIR/header-N.cc).
# The wrapping is mechanical, one rule: a snippet that defines main() is a
# whole program and is written as it is; any other is a fragment, the body
# of a function that returns a libberth::Status, after the prelude
# tests/library/snippet_prelude.h (which includes the header and declares
# the few names a fragment uses as given: spec_json, dir, out, err ...).
# Each starts with a #line directive, so a compiler error names the line of
# the README or the header. Prints the files written, one a line.
set -eu
src=$1 out=$2
mkdir -p "$out"

# extract FILE TAG START END STRIP: the lines between a START line and an
# END line (whole-line matches), less the prefix STRIP, as OUT/TAG-N.body
# with their first line number in OUT/TAG-N.line.
extract() {
  awk -v out="$out" -v tag="$2" -v start="$3" -v end="$4" -v strip="$5" '
    !inside && $0 == start { n++; body = out "/" tag "-" n ".body"; printf "" > body
                             print NR + 1 > (out "/" tag "-" n ".line"); inside = 1; next }
    inside && $0 == end { close(body); inside = 0; next }
    inside { line = $0; if (index(line, strip) == 1) line = substr(line, length(strip) + 1)
             else if (line == substr(strip, 1, length(strip) - 1)) line = ""
             print line >> body }
    END { if (inside) { print FILENAME ": unterminated snippet at the end" > "/dev/stderr"; exit 1 } }
  ' "$1"
}
rm -f "$out"/*.body "$out"/*.line "$out"/*.cc
extract "$src/README.md" readme '```c++' '```' ''
extract "$src/include/berth/berth.h" header '// ```c++' '// ```' '// '

for body in "$out"/*.body; do
  [ -e "$body" ] || continue
  cc=${body%.body}.cc
  line=$(cat "${body%.body}.line")
  case $(basename "$body") in
    readme-*) origin=$src/README.md ;;
    *) origin=$src/include/berth/berth.h ;;
  esac
  if grep -q '^int main(' "$body"; then
    { printf '#line %s "%s"\n' "$line" "$origin"; cat "$body"; } > "$cc"
  else
    {
      printf '#include "snippet_prelude.h"\n\n'
      printf 'libberth::Status snippet() {\n'
      printf '#line %s "%s"\n' "$line" "$origin"
      cat "$body"
      printf '  return libberth::Status::OK();\n}\n\n'
      printf 'int main() { return snippet().ok() ? 0 : 1; }\n'
    } > "$cc"
  fi
  rm -f "$body" "${body%.body}.line"
  echo "$cc"
done
