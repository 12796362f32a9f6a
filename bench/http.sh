#!/usr/bin/env bash
# Whole-server HTTP benchmark: wrk against `nimbus serve` and against nginx serving the same
# 4 KiB file from disk, side by side in one run, on loopback. Writes
# bench/results/YYYY-MM-DD-http.md (date, machine, commit, commands, requests/s, latency).
#
# Usage: bench/http.sh            (from the repository root or anywhere)
# Env:   NIMBUS_BIN (default build/nimbus), NIMBUS_COMMIT (commit the binary was built from),
#        NIMBUS_LOG (where nimbus's stderr/access log goes; default /dev/null),
#        THREADS (2), CONNECTIONS (64), DURATION (10s),
#        WARMUP (2s), ROUNDS (3), OUT (results file; default bench/results/<date>-http.md)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

NIMBUS_BIN=${NIMBUS_BIN:-$repo/build/nimbus}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
ROUNDS=${ROUNDS:-3}
OUT=${OUT:-$("$repo/bench/result_path.sh" http)}
# nimbus's log (stderr: one access-log line per request). nginx runs with access_log off, so
# by default nimbus still formats and writes every line, but to /dev/null rather than a disk.
NIMBUS_LOG=${NIMBUS_LOG:-/dev/null}
ASSET_REL=bench/4k.txt  # web/bench/4k.txt: exactly 4096 bytes

for tool in wrk nginx curl; do
  command -v "$tool" >/dev/null || { echo "http.sh: $tool is missing (run scripts/bootstrap.sh)" >&2; exit 1; }
done
[[ -x $NIMBUS_BIN ]] || { echo "http.sh: no server binary at $NIMBUS_BIN (run make build)" >&2; exit 1; }

work=$(mktemp -d /tmp/nimbus-bench.XXXXXX)
chmod 755 "$work"  # nginx workers run as nobody and must read the web root
nimbus_pid= nginx_pid=
cleanup() {
  [[ -n $nimbus_pid ]] && kill -TERM "$nimbus_pid" 2>/dev/null && wait "$nimbus_pid" 2>/dev/null
  [[ -n $nginx_pid ]] && kill -QUIT "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
me=http.sh
source "$repo/bench/lib.sh"


# --- nimbus ---------------------------------------------------------------------------------
start_nimbus
asset_base=$(curl -s "$nimbus_url/" | grep -o -m1 '/assets/[0-9a-f]*/' | head -1)
[[ -n $asset_base ]] || { echo "http.sh: no /assets/<hash>/ in nimbus's index.html" >&2; exit 1; }
nimbus_asset="$nimbus_url${asset_base}$ASSET_REL"

# --- nginx: its own config, same file from disk ---------------------------------------------
nginx_port=$(free_port)
mkdir -p "$work/nginx/www/bench" "$work/nginx/tmp" "$work/nginx/logs"
install -m 644 "$repo/web/$ASSET_REL" "$work/nginx/www/$ASSET_REL"
cat >"$work/nginx/nginx.conf" <<EOF
worker_processes auto;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  types { text/plain txt; }
  default_type application/octet-stream;
  client_body_temp_path $work/nginx/tmp/body;
  proxy_temp_path $work/nginx/tmp/proxy;
  fastcgi_temp_path $work/nginx/tmp/fastcgi;
  uwsgi_temp_path $work/nginx/tmp/uwsgi;
  scgi_temp_path $work/nginx/tmp/scgi;
  server {
    listen 127.0.0.1:$nginx_port;
    root $work/nginx/www;
    location = /healthz { default_type text/plain; return 200 "ok\n"; }
  }
}
EOF
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/logs/error.log" &
nginx_pid=$!
nginx_url="http://127.0.0.1:$nginx_port"
wait_http "$nginx_url/healthz"
nginx_asset="$nginx_url/$ASSET_REL"

size_nimbus=$(curl -s "$nimbus_asset" | wc -c)
size_nginx=$(curl -s "$nginx_asset" | wc -c)
[[ $size_nimbus == 4096 && $size_nginx == 4096 ]] ||
  { echo "http.sh: asset sizes differ: nimbus $size_nimbus, nginx $size_nginx" >&2; exit 1; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# --- runs -----------------------------------------------------------------------------------
# ROUNDS rounds, each running the four targets in turn, so that load from elsewhere on the
# machine hits both servers alike; the table shows the median round and the spread.
wrk_cmd=(wrk "-t$THREADS" "-c$CONNECTIONS" "-d$DURATION" --latency)
declare -A rps_all avg p50 p99 errs url_of
url_of=([nimbus_healthz]="$nimbus_url/healthz" [nginx_healthz]="$nginx_url/healthz"
        [nimbus_asset]="$nimbus_asset" [nginx_asset]="$nginx_asset")
keys=(nimbus_healthz nginx_healthz nimbus_asset nginx_asset)
for key in "${keys[@]}"; do
  wrk "-t$THREADS" "-c$CONNECTIONS" "-d$WARMUP" "${url_of[$key]}" >/dev/null
done
for round in $(seq "$ROUNDS"); do
  for key in "${keys[@]}"; do
    out=$("${wrk_cmd[@]}" "${url_of[$key]}")
    echo "$out" >"$work/$key.$round.wrk"
    echo "== round $round, $key: ${url_of[$key]}"; echo "$out"
    rps_all[$key]+="$(awk '/^Requests\/sec:/ {print $2}' <<<"$out") "
  done
done
# Median round per target: its requests/s and latencies are reported, its wrk output kept.
declare -A rps spread median_round
for key in "${keys[@]}"; do
  read -r median_round[$key] rps[$key] spread[$key] < <(
    i=0; for v in ${rps_all[$key]}; do i=$((i + 1)); echo "$i $v"; done | sort -k2 -g |
      awk '{ r[NR] = $1; v[NR] = $2 } END { m = int((NR + 1) / 2); print r[m], v[m], v[1] "–" v[NR] }')
  out=$(cat "$work/$key.${median_round[$key]}.wrk")
  avg[$key]=$(awk '$1 == "Latency" {print $2; exit}' <<<"$out")
  p50[$key]=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99[$key]=$(awk '$1 == "99%" {print $2}' <<<"$out")
  errs[$key]=$( (grep -E 'Socket errors|Non-2xx' "$work/$key".*.wrk || true) |
                sed 's/^[^:]*wrk: *//' | paste -sd';' -)
done

if [[ -n ${NIMBUS_COMMIT:-} ]]; then  # e.g. when the binary was built from a clean export
  commit=$NIMBUS_COMMIT
else
  commit=$(git -C "$repo" rev-parse --short=12 HEAD)
  git -C "$repo" diff --quiet HEAD -- src app web cmake 2>/dev/null || commit="$commit (+ local changes)"
fi
cpu=$(lscpu | awk -F: '/^Model name/ {sub(/^ +/, "", $2); print $2; exit}')
mem=$(free -g | awk '/^Mem:/ {print $2 " GiB"}')

mkdir -p "$(dirname "$OUT")"
{
  echo "# HTTP benchmark: nimbus vs nginx ($(date -u +%F))"
  echo
  echo "- Date: $(date -u '+%F %T UTC')"
  echo "- Machine: $(nproc) CPUs ($cpu), $mem RAM, kernel $(uname -r); wrk, nimbus and nginx share these CPUs"
  echo "- Load average (1/5/15 min) before the runs: $load_before; after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- Commit: $commit"
  echo "- nimbus: \`$NIMBUS_BIN serve --listen 127.0.0.1:0 --data <temp>\` (default config; access log written to \`$NIMBUS_LOG\`)"
  echo "- nginx: $(nginx -v 2>&1 | sed 's/^nginx version: //'), \`worker_processes auto\`, \`access_log off\`, \`sendfile on\`, same file from disk"
  echo "- Load: \`${wrk_cmd[*]} <url>\`, $ROUNDS rounds over the four targets in turn (median shown), after a ${WARMUP} warm-up each ($(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2))"
  echo "- Static asset: \`web/$ASSET_REL\` (4096 bytes); nimbus \`${asset_base}$ASSET_REL\`, nginx \`/$ASSET_REL\`"
  echo
  echo "| target | server | requests/s (median) | min–max | latency avg | p50 | p99 | errors |"
  echo "|---|---|---:|---:|---:|---:|---:|---|"
  for t in healthz asset; do
    for s in nimbus nginx; do
      k=${s}_$t
      echo "| $t | $s | ${rps[$k]} | ${spread[$k]} | ${avg[$k]} | ${p50[$k]} | ${p99[$k]} | ${errs[$k]:-none} |"
    done
  done
  echo
  echo "Ratio nimbus/nginx, requests/s: healthz $(ratio "${rps[nimbus_healthz]}" "${rps[nginx_healthz]}"),"\
       "4 KiB static asset **$(ratio "${rps[nimbus_asset]}" "${rps[nginx_asset]}")** (aim: ≥ 0.80)."
  echo
  echo "nginx answers \`/healthz\` with a fixed \`return 200\`; nimbus runs its full middleware chain"
  echo "(request id, access log, security headers, metrics) on both targets."
  echo
  echo "<details><summary>raw wrk output</summary>"
  echo
  for k in "${keys[@]}"; do
    echo "\`$k\` (median round ${median_round[$k]}):"; echo; echo '```'
    cat "$work/$k.${median_round[$k]}.wrk"; echo '```'; echo
  done
  echo "</details>"
} >"$OUT"
echo "http.sh: wrote $OUT"
