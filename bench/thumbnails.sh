#!/usr/bin/env bash
# Thumbnails benchmark: MakeThumbnail for 12 and 24 megapixel photos and a 6 megapixel PNG, beside
# decoding the same JPEG whole (bench/micro/thumbnail_bench.cpp); then through the server: a
# folder of PHOTOS 12-megapixel photos whose thumbnails a browser asks for 6 at a time (as
# Chromium does over HTTP/1.1), first when none is made yet, then from the cache.
# Writes bench/results/YYYY-MM-DD-thumbnails.md with date, machine and commit.
#
# Usage: bench/thumbnails.sh     Env: NIMBUS_BIN (default build/nimbus), BUILD_DIR (build-bench),
#        ROUNDS (5), PHOTOS (24), SCRATCH (/tmp), NIMBUS_LOG (/dev/null), OUT (results file)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
NIMBUS_BIN=${NIMBUS_BIN:-$repo/build/nimbus}
BUILD_DIR=${BUILD_DIR:-$repo/build-bench}
NIMBUS_LOG=${NIMBUS_LOG:-/dev/null}
ROUNDS=${ROUNDS:-5}
PHOTOS=${PHOTOS:-24}
SCRATCH=${SCRATCH:-/tmp}
OUT=${OUT:-$("$repo/bench/result_path.sh" thumbnails)}
[[ -x $NIMBUS_BIN ]] || { echo "thumbnails.sh: no server binary at $NIMBUS_BIN (run make build)" >&2; exit 1; }
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNIMBUS_BUILD_TESTS=OFF \
  -DNIMBUS_BUILD_BENCH=ON >/dev/null
cmake --build "$BUILD_DIR" --target nimbus_thumbnail_bench >/dev/null
commit=$(git rev-parse --short=12 HEAD)
git diff --quiet HEAD -- src app bench/micro cmake 2>/dev/null || commit="$commit (+ local changes)"
work=$(mktemp -d "$SCRATCH/nimbus-bench-thumbnails.XXXXXX")
nimbus_pid=
cleanup() {
  [[ -n $nimbus_pid ]] && kill -TERM "$nimbus_pid" 2>/dev/null && wait "$nimbus_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
me=thumbnails.sh
source "$repo/bench/lib.sh"

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
micro=$("$BUILD_DIR/bench/micro/nimbus_thumbnail_bench" "$ROUNDS")
field() { awk -v k="$1" '$1 == k {print $2}' <<<"$micro"; }

# --- through the server ---------------------------------------------------------------------------
# The photos: the bench's noisy 12-megapixel JPEG, each made distinct by a few bytes after its
# end marker (decoders ignore them), so each has its own blob and thumbnail.
"$BUILD_DIR/bench/micro/nimbus_thumbnail_bench" --write "$work/photo.jpg" >/dev/null
for ((i = 0; i < PHOTOS; i++)); do
  { cat "$work/photo.jpg"; printf 'photo %d' "$i"; } >"$work/p$i.jpg"
done
start_nimbus
auth="Authorization: Bearer $(new_token maya)"
for ((i = 0; i < PHOTOS; i++)); do
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "$auth" -H 'Expect:' -T "$work/p$i.jpg" \
    "$nimbus_url/api/v1/nodes/root/content?path=Shoot/p$i.jpg")
  [[ $code == 201 ]] || { echo "$me: upload answered $code" >&2; exit 1; }
done
curl -s -H "$auth" "$nimbus_url/api/v1/resolve?path=%2FShoot" -o "$work/folder"
folder=$(json_field "$work/folder" id)
curl -s -H "$auth" "$nimbus_url/api/v1/nodes/$folder/children?limit=1000" -o "$work/children"
python3 - "$work/children" "$nimbus_url" >"$work/cfg" <<'EOF'
import json, sys
for n in json.load(open(sys.argv[1]))["items"]:
    print(f'url = "{sys.argv[2]}/api/v1/nodes/{n["id"]}/thumbnail?size=256&v={n["checksum_sha256"]}"')
    print('output = "/dev/null"')
EOF
page() {  # One browser's worth: every thumbnail of the folder, 6 at a time; prints seconds.
  local s e
  s=$(date +%s.%N)
  curl -s --no-progress-meter -H "$auth" --parallel --parallel-max 6 -w '%{http_code}\n' -K "$work/cfg" >"$work/codes"
  e=$(date +%s.%N)
  [[ $(grep -c '^200$' "$work/codes") == "$PHOTOS" ]] || { echo "$me: $(sort "$work/codes" | uniq -c)" >&2; exit 1; }
  awk -v s="$s" -v e="$e" 'BEGIN {printf "%.2f", e - s}'
}
cold=$(page)
warm=()
for ((r = 0; r < ROUNDS; r++)); do warm+=("$(page)"); done
warm_s=$(median "${warm[@]}")
cache_bytes=$(du -sb "$work/nimbus-data/cache/thumbnails" | cut -f1)

mkdir -p "$(dirname "$OUT")"
cat >"$OUT" <<EOT
# Thumbnails benchmark ($(date -u +%F))

- Date: $(date -u '+%F %H:%M UTC')
- Load average before the run: $load_before (other work on the machine makes the figures swing)
- Machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/ {print $2}') GiB RAM, kernel $(uname -r)
- Commit: $commit
- Method: \`bench/thumbnails.sh\` (ROUNDS=$ROUNDS, PHOTOS=$PHOTOS). Pictures made by the bench: red and
  blue halves with noise of ±32 on every sample (so they compress and decode like photos),
  JPEG quality 95; medians of $ROUNDS runs. The whole-JPEG decode is libjpeg at full size, the
  first step of a thumbnailer without DCT scaling.

## MakeThumbnail (one thread)

| picture | file | thumbnail 64 px | thumbnail 256 px | decoding it whole |
|---|---:|---:|---:|---:|
| JPEG 4000 × 3000 | $(field jpeg_12mp_bytes) bytes | $(field jpeg_12mp_thumb64_ms) ms | $(field jpeg_12mp_thumb256_ms) ms | $(field jpeg_12mp_full_decode_ms) ms |
| JPEG 6000 × 4000 | $(field jpeg_24mp_bytes) bytes | $(field jpeg_24mp_thumb64_ms) ms | $(field jpeg_24mp_thumb256_ms) ms | $(field jpeg_24mp_full_decode_ms) ms |
| PNG 3000 × 2000 RGBA | $(field png_6mp_rgba_bytes) bytes | | $(field png_6mp_rgba_thumb256_ms) ms | |

## A folder of $PHOTOS photos (12 megapixels) in a browser

Every 256-px thumbnail of the folder, asked 6 at a time with curl (\`--parallel-max 6\`):

| | seconds |
|---|---:|
| first view (each thumbnail made: read through the storage engine, decoded, cached; files.thumbnail_concurrent = 2) | $cold |
| again (from the cache; median of $ROUNDS) | $warm_s |

Cache after the run: $cache_bytes bytes for $PHOTOS thumbnails.
EOT
echo "thumbnails.sh: wrote $OUT"
cat "$OUT"
