#!/usr/bin/env bash
# Operations on many small files at once, as a heavy user meets them: a folder of N files of
# 4 KiB (default 2,000) is copied, the copy moved to the trash, restored, moved to the trash
# again and the trash emptied. Each is one API request; its wall time is measured (curl's
# time_total), 3 rounds, median shown. Writes bench/results/YYYY-MM-DD-files-bulk.md.
#   bash bench/files_bulk.sh            # N=2000
#   N=20000 bash bench/files_bulk.sh
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
NIMBUS_BIN=${NIMBUS_BIN:-$repo/build/nimbus}
N=${N:-2000}
ROUNDS=${ROUNDS:-3}
SCRATCH=${SCRATCH:-/tmp}
[[ -x $NIMBUS_BIN ]] || { echo "files_bulk.sh: $NIMBUS_BIN not built (make build)" >&2; exit 1; }
out=${OUT:-$("$repo/bench/result_path.sh" files-bulk)}
work=$(mktemp -d "$SCRATCH/nimbus-bench-bulk.XXXXXX")
NIMBUS_LOG=$work/nimbus.log
nimbus_pid=
cleanup() {
  [[ -n $nimbus_pid ]] && kill -TERM "$nimbus_pid" 2>/dev/null && wait "$nimbus_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
me=files_bulk.sh
source "$repo/bench/lib.sh"

json() {  # json FILE KEY...: a nested field of a JSON file
  python3 -c 'import json,sys
v=json.load(open(sys.argv[1]))
for k in sys.argv[2:]: v=v[k]
print(v)' "$@"
}

start_nimbus
email="bulk-$RANDOM@example.com" password="correct horse battery $RANDOM"
curl -sf -o /dev/null -H 'Content-Type: application/json' \
  -d "{\"email\":\"$email\",\"password\":\"$password\",\"name\":\"Bench\"}" "$nimbus_url/api/v1/auth/signup"
curl -sf -c "$work/jar" -o "$work/login" -H 'Content-Type: application/json' \
  -d "{\"email\":\"$email\",\"password\":\"$password\"}" "$nimbus_url/api/v1/auth/login"
curl -sf -b "$work/jar" -o "$work/token" -H "X-CSRF-Token: $(json "$work/login" csrf_token)" \
  -H 'Content-Type: application/json' -d '{"name":"bench"}' "$nimbus_url/api/v1/me/tokens"
auth="Authorization: Bearer $(json "$work/token" token)"

# The folder: N files of 4 KiB (16 uploads at a time).
head -c 4096 /dev/urandom >"$work/4k"
for ((i = 0; i < N; i++)); do
  printf 'url = "%s/api/v1/nodes/root/content?path=src/f-%05d"\nupload-file = "%s"\noutput = "/dev/null"\n' \
    "$nimbus_url" "$i" "$work/4k"
done >"$work/uploads.cfg"
curl -s -H 'Expect:' -H "$auth" --parallel --parallel-max 16 -K "$work/uploads.cfg"
curl -sf -o "$work/src" -H "$auth" "$nimbus_url/api/v1/resolve?path=/src"
src=$(json "$work/src" id)

# call NAME EXPECTED_STATUS METHOD PATH [BODY]: one timed request; its time_total in s.
call() {
  local name=$1 want=$2 method=$3 path=$4 body=${5:-}
  local args=(-s -o "$work/$name.json" -w '%{http_code} %{time_total}' -X "$method" -H "$auth")
  [[ -n $body ]] && args+=(-H 'Content-Type: application/json' -d "$body")
  local got
  got=$(curl "${args[@]}" "$nimbus_url$path")
  [[ ${got% *} == "$want" ]] || { echo "$me: $method $path answered ${got% *}: $(head -c 300 "$work/$name.json")" >&2; exit 1; }
  echo "${got#* }"
}

declare -a t_copy t_trash t_restore t_empty
for ((r = 0; r < ROUNDS; r++)); do
  sync
  t_copy+=("$(call copy 201 POST "/api/v1/nodes/$src/copy" "{\"parent_id\":\"root\",\"name\":\"dst\"}")")
  dst=$(json "$work/copy.json" id)
  t_trash+=("$(call trash 200 DELETE "/api/v1/nodes/$dst")")
  item=$(curl -sf -H "$auth" "$nimbus_url/api/v1/trash" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
  t_restore+=("$(call restore 200 POST "/api/v1/trash/$item/restore")")
  call trash2 200 DELETE "/api/v1/nodes/$dst" >/dev/null
  t_empty+=("$(call empty 204 DELETE /api/v1/trash)")
done
used=$(curl -sf -H "$auth" "$nimbus_url/api/v1/me" | python3 -c 'import json,sys; u=json.load(sys.stdin)["usage"]; print(u["used_bytes"], u["trash_bytes"])')

{
  echo "# Bulk operations on $N small files ($(date -u +%Y-%m-%d))"
  echo
  echo "- Date: $(date -u '+%Y-%m-%d %H:%M:%S') UTC"
  echo "- Machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/ {print $2}') GiB RAM, kernel $(uname -r)"
  echo "- Load average before/after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- Commit: $(git -C "$repo" rev-parse --short=12 HEAD)$(git -C "$repo" diff --quiet || echo ' (dirty)')"
  echo "- nimbus: \`$NIMBUS_BIN serve\` (default config: two copies on one disk, each commit durable), API token"
  echo "- A folder of $N files of 4096 bytes; each figure is one API request's wall time (curl time_total), $ROUNDS rounds, median"
  echo "- After the rounds: used_bytes trash_bytes = $used (expected $((N * 4096)) 0)"
  echo
  echo "| operation | s (median) | rounds |"
  echo "|---|---:|---|"
  printf '| copy the folder (POST /nodes/{id}/copy) | %s | %s |\n' "$(median "${t_copy[@]}")" "${t_copy[*]}"
  printf '| move the copy to the trash (DELETE /nodes/{id}) | %s | %s |\n' "$(median "${t_trash[@]}")" "${t_trash[*]}"
  printf '| restore it (POST /trash/{id}/restore) | %s | %s |\n' "$(median "${t_restore[@]}")" "${t_restore[*]}"
  printf '| empty the trash (DELETE /trash) | %s | %s |\n' "$(median "${t_empty[@]}")" "${t_empty[*]}"
} >"$out"
cat "$out"
echo "written: $out" >&2
