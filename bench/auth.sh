#!/usr/bin/env bash
# Authentication benchmark: logins per second at the configured Argon2id cost, and requests per
# second of an authenticated `GET /api/v1/me` (session cache hit) side by side with `/healthz`,
# in one run against one `nimbus serve`. Writes bench/results/YYYY-MM-DD-auth.md.
#
# Usage: bench/auth.sh            (from the repository root or anywhere)
# Env:   NIMBUS_BIN (default build/nimbus), NIMBUS_COMMIT, NIMBUS_LOG (default /dev/null),
#        THREADS (2), CONNECTIONS (16), DURATION (10s), LOGIN_CONNECTIONS (4),
#        LOGIN_DURATION (10s), ROUNDS (3), OUT (default bench/results/<date>-auth.md)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

NIMBUS_BIN=${NIMBUS_BIN:-$repo/build/nimbus}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-16}
DURATION=${DURATION:-10s}
LOGIN_CONNECTIONS=${LOGIN_CONNECTIONS:-4}
LOGIN_DURATION=${LOGIN_DURATION:-10s}
ROUNDS=${ROUNDS:-3}
OUT=${OUT:-$("$repo/bench/result_path.sh" auth)}
NIMBUS_LOG=${NIMBUS_LOG:-/dev/null}

for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "auth.sh: $tool is missing (run scripts/bootstrap.sh)" >&2; exit 1; }
done
[[ -x $NIMBUS_BIN ]] || { echo "auth.sh: no server binary at $NIMBUS_BIN (run make build)" >&2; exit 1; }

work=$(mktemp -d /tmp/nimbus-bench-auth.XXXXXX)
nimbus_pid=
cleanup() {
  [[ -n $nimbus_pid ]] && kill -TERM "$nimbus_pid" 2>/dev/null && wait "$nimbus_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
me=auth.sh
source "$repo/bench/lib.sh"

# The login limit counts failures only; the benchmark logs in successfully, but a generous limit
# keeps a mistyped run from turning into a 429 benchmark.
NIMBUS_ACCOUNTS_LOGIN_MAX_FAILURES=1000 start_nimbus
url=$nimbus_url

email="bench-$(date +%s)@example.com"
password="correct horse battery staple $RANDOM"
body=$(python3 -c 'import json,sys; print(json.dumps({"email": sys.argv[1], "password": sys.argv[2], "name": "Bench"}))' "$email" "$password")
code=$(curl -s -o "$work/signup.json" -w '%{http_code}' -H 'Content-Type: application/json' \
  -d "$body" "$url/api/v1/auth/signup")
[[ $code == 201 ]] || { echo "auth.sh: sign-up answered $code: $(cat "$work/signup.json")" >&2; exit 1; }
login_body=$(python3 -c 'import json,sys; print(json.dumps({"email": sys.argv[1], "password": sys.argv[2]}))' "$email" "$password")
code=$(curl -s -o "$work/login.json" -D "$work/login.headers" -w '%{http_code}' \
  -H 'Content-Type: application/json' -d "$login_body" "$url/api/v1/auth/login")
[[ $code == 200 ]] || { echo "auth.sh: login answered $code: $(cat "$work/login.json")" >&2; exit 1; }
cookie=$(grep -io -m1 'nimbus_session=[^;]*' "$work/login.headers")
[[ -n $cookie ]] || { echo "auth.sh: login set no nimbus_session cookie" >&2; exit 1; }
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" "$url/api/v1/me")
[[ $code == 200 ]] || { echo "auth.sh: GET /api/v1/me with the session answered $code" >&2; exit 1; }

# wrk script for the login POST (every request a full Argon2id verification and a new session).
python3 - "$login_body" >"$work/login.lua" <<'EOF'
import json, sys
body = sys.argv[1]
print('wrk.method = "POST"')
print('wrk.headers["Content-Type"] = "application/json"')
print('wrk.body = ' + json.dumps(body))
print('''
local bad = 0
response = function(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format("non-200 logins: %d\\n", bad))
end''')
EOF

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
declare -A rps_all
keys=(healthz me login)
run() {  # key round
  local key=$1 out
  case $key in
    healthz) out=$(wrk "-t$THREADS" "-c$CONNECTIONS" "-d$DURATION" --latency "$url/healthz") ;;
    me) out=$(wrk "-t$THREADS" "-c$CONNECTIONS" "-d$DURATION" --latency -H "Cookie: $cookie" "$url/api/v1/me") ;;
    login) out=$(wrk "-t$THREADS" "-c$LOGIN_CONNECTIONS" "-d$LOGIN_DURATION" --latency -s "$work/login.lua" "$url/api/v1/auth/login") ;;
  esac
  echo "$out" >"$work/$key.$2.wrk"
  echo "== round $2, $key"; echo "$out"
  rps_all[$key]+="$(awk '/^Requests\/sec:/ {print $2}' <<<"$out") "
}
wrk -t1 -c4 -d2s "$url/healthz" >/dev/null
wrk -t1 -c4 -d2s -H "Cookie: $cookie" "$url/api/v1/me" >/dev/null
for round in $(seq "$ROUNDS"); do
  for key in "${keys[@]}"; do run "$key" "$round"; done
done

declare -A rps spread median_round p50 p99 errs
for key in "${keys[@]}"; do
  read -r median_round[$key] rps[$key] spread[$key] < <(
    i=0; for v in ${rps_all[$key]}; do i=$((i + 1)); echo "$i $v"; done | sort -k2 -g |
      awk '{ r[NR] = $1; v[NR] = $2 } END { m = int((NR + 1) / 2); print r[m], v[m], v[1] "–" v[NR] }')
  out=$(cat "$work/$key.${median_round[$key]}.wrk")
  p50[$key]=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99[$key]=$(awk '$1 == "99%" {print $2}' <<<"$out")
  errs[$key]=$( (grep -hE 'Socket errors|Non-2xx|non-200 logins: [1-9]' "$work/$key".*.wrk || true) | paste -sd';' -)
done
if [[ -n ${NIMBUS_COMMIT:-} ]]; then
  commit=$NIMBUS_COMMIT
else
  commit=$(git -C "$repo" rev-parse --short=12 HEAD)
  git -C "$repo" diff --quiet HEAD -- src app web cmake 2>/dev/null || commit="$commit (+ local changes)"
fi
cpu=$(lscpu | awk -F: '/^Model name/ {sub(/^ +/, "", $2); print $2; exit}')
mem=$(free -g | awk '/^Mem:/ {print $2 " GiB"}')
argon=$("$NIMBUS_BIN" config check --data "$work/nimbus-data" 2>/dev/null |
  grep -E '^(argon2_memory_mib|argon2_passes|max_concurrent_hashes) ' | paste -sd',' - || true)

mkdir -p "$(dirname "$OUT")"
{
  echo "# Authentication benchmark ($(date -u +%F))"
  echo
  echo "- Date: $(date -u '+%F %T UTC')"
  echo "- Machine: $(nproc) CPUs ($cpu), $mem RAM, kernel $(uname -r); wrk and nimbus share these CPUs"
  echo "- Load average before: $load_before; after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- Commit: $commit"
  echo "- nimbus: \`serve --listen 127.0.0.1:0 --data <temp>\`, default config (${argon:-argon2 defaults}); log to \`$NIMBUS_LOG\`"
  echo "- Load: $ROUNDS rounds of healthz, me, login in turn (median shown);"\
       "\`wrk -t$THREADS -c$CONNECTIONS -d$DURATION\` for healthz and me (session cookie),"\
       "\`wrk -t$THREADS -c$LOGIN_CONNECTIONS -d$LOGIN_DURATION -s login.lua\` for login"
  echo
  echo "| target | requests/s (median) | min–max | p50 | p99 | errors |"
  echo "|---|---:|---:|---:|---:|---|"
  for k in "${keys[@]}"; do
    echo "| $k | ${rps[$k]} | ${spread[$k]} | ${p50[$k]} | ${p99[$k]} | ${errs[$k]:-none} |"
  done
  echo
  echo "Authenticated \`GET /api/v1/me\` costs **$(ratio "${rps[healthz]}" "${rps[me]}")×** \`/healthz\`"\
       "(requests/s healthz ÷ me; aim ≤ 1.3). Logins/s: ${rps[login]} (each one Argon2id verification + a new session)."
  echo
  echo "<details><summary>raw wrk output</summary>"
  echo
  for k in "${keys[@]}"; do
    echo "\`$k\` (median round ${median_round[$k]}):"; echo; echo '```'
    cat "$work/$k.${median_round[$k]}.wrk"; echo '```'; echo
  done
  echo "</details>"
} >"$OUT"
echo "auth.sh: wrote $OUT"
