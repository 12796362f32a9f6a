#!/usr/bin/env bash
# Fails when a hand-written source file passes 800 lines (style.md §6); tests are exempt.
set -euo pipefail
cd "$(dirname "$0")/.."
limit=800
status=0
while IFS= read -r f; do
  n=$(wc -l <"$f")
  if ((n > limit)); then
    echo "file size: $f has $n lines (limit $limit): split it by responsibility"
    status=1
  fi
done < <(find src app web -type f \( -name '*.cpp' -o -name '*.h' -o -name '*.js' -o -name '*.css' \) 2>/dev/null)
[[ $status -eq 0 ]] && echo "file size: ok"
exit $status
