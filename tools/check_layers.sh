#!/usr/bin/env bash
# Checks that every #include "<layer>/..." in src/ points down the layer order of style.md §1:
#   util → std/Boost; config → util; db → util, config; mail → db (the outbox table) and below; storage → db and below
#   (the disk pool keeps allocations in the DB in the same transaction); core → those;
#   jobs → core and below; http → util, config; api, dav → http, core and below.
# Also: Boost.Beast headers only inside src/http/.
set -euo pipefail
cd "$(dirname "$0")/.."

declare -A allowed=(
  [util]="util"
  [config]="util config"
  [db]="util config db"
  [storage]="util config db storage"
  [mail]="util config db mail"
  [core]="util config db storage mail core"
  [jobs]="util config db storage mail core jobs"
  [http]="util config http"
  [api]="util config db storage mail core http api"
  [dav]="util config db storage mail core http dav"
)

status=0
for layer in "${!allowed[@]}"; do
  [[ -d src/$layer ]] || continue
  while IFS= read -r line; do
    file=${line%%:*}
    target=$(sed -E 's/.*#include "([a-z_]+)\/.*/\1/' <<<"$line")
    if [[ " ${allowed[$layer]} " != *" $target "* ]]; then
      echo "layering: $file includes \"$target/…\" but $layer may only include: ${allowed[$layer]}"
      status=1
    fi
  done < <(grep -rnE '^#include "[a-z_]+/' "src/$layer" --include='*.h' --include='*.cpp' || true)
done

while IFS= read -r line; do
  echo "layering: Beast outside src/http/: $line"
  status=1
done < <(grep -rn '#include <boost/beast' src --include='*.h' --include='*.cpp' | grep -v '^src/http/' || true)

[[ $status -eq 0 ]] && echo "layering: ok"
exit $status
