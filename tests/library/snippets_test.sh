#!/bin/sh
# Every C++ snippet of README.md and of include/berth/berth.h compiles, with
# the project's warnings as errors, against the header, and links against
# libberth.so (tests/library/extract_snippets.sh says how they are found
# and wrapped). Snippets are compiled, not run (library.install runs the
# README's program).
#   snippets_test.sh SOURCE_DIR LIBBERTH_SO CXX [CXXFLAGS]
set -eu
src=$1 lib=$2 cxx=$3 flags=${4:-}
tmp=$(mktemp -d /tmp/berth-snippets-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
"$src/tests/library/extract_snippets.sh" "$src" "$tmp" > "$tmp/list"
# There are some in each place: an extraction that finds none is broken.
grep -q '/readme-[0-9]*\.cc$' "$tmp/list" || { echo "snippets: none found in README.md" >&2; exit 1; }
grep -q '/header-[0-9]*\.cc$' "$tmp/list" || { echo "snippets: none found in berth.h" >&2; exit 1; }
passed=0 failed=0
while read -r cc; do
  # -Wno-missing-field-initializers: the project's own flags; GCC 12 counts
  # every member a designated initializer leaves out.
  # shellcheck disable=SC2086
  if "$cxx" -std=c++20 -Wall -Wextra -Wshadow -Wno-missing-field-initializers -Werror $flags \
       -I"$src/include" -I"$src/tests/library" -o "${cc%.cc}" "$cc" "$lib" -lpthread; then
    passed=$((passed + 1))
  else
    echo "snippets: $(basename "$cc") does not compile:" >&2
    cat "$cc" >&2
    failed=$((failed + 1))
  fi
done < "$tmp/list"
echo "snippets: $passed passed, $failed failed"
[ "$failed" = 0 ]
