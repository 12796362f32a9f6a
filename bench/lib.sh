# Shared pieces of the bench/*.sh scripts (sourced, not run). The including script sets `me`
# (its name, for messages), `work` (its temp dir) and NIMBUS_BIN / NIMBUS_LOG.

# A free TCP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Polls `url` until it answers 200 (at most ~10 s).
wait_http() {
  for _ in $(seq 100); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' "$1" || true) == 200 ]] && return 0
    sleep 0.1
  done
  echo "$me: $1 did not answer" >&2
  return 1
}

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
# a / b with two decimals; "n/a" when a is empty or b is not positive.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b > 0) printf "%.2f", a / b; else print "n/a" }'; }

# Starts `nimbus serve` on a free port with a fresh data dir under $work; sets nimbus_pid and
# nimbus_url once it listens and answers /healthz (exits the script otherwise).
start_nimbus() {
  "$NIMBUS_BIN" serve --listen 127.0.0.1:0 --data "$work/nimbus-data" \
    >"$work/nimbus.out" 2>"$NIMBUS_LOG" &
  nimbus_pid=$!
  nimbus_url=
  for _ in $(seq 100); do
    nimbus_url=$(grep -o -m1 'listening on http://127\.0\.0\.1:[0-9]*' "$work/nimbus.out" | cut -d' ' -f3 || true)
    [[ -n $nimbus_url ]] && break
    kill -0 "$nimbus_pid" 2>/dev/null || { echo "$me: nimbus exited (log: $NIMBUS_LOG)" >&2; exit 1; }
    sleep 0.1
  done
  [[ -n $nimbus_url ]] || { echo "$me: nimbus printed no URL (log: $NIMBUS_LOG)" >&2; exit 1; }
  wait_http "$nimbus_url/healthz"
}

json_field() {  # json_field FILE KEY...: a nested field of a JSON file ("" when absent)
  python3 - "$@" <<'EOF'
import json, sys
try:
    v = json.load(open(sys.argv[1]))
    for k in sys.argv[2:]:
        v = v[k]
    print("" if v is None else v)
except Exception:
    print("")
EOF
}

# Signs up and logs in `who` on $nimbus_url, creates an API token; prints the token.
new_token() {
  local who=$1 email="bench-$1-$RANDOM@example.com" password="correct horse battery $RANDOM"
  local body code csrf
  body=$(python3 -c 'import json,sys; print(json.dumps({"email": sys.argv[1], "password": sys.argv[2], "name": "Bench"}))' "$email" "$password")
  code=$(curl -s -o "$work/$who.signup" -w '%{http_code}' -H 'Content-Type: application/json' \
    -d "$body" "$nimbus_url/api/v1/auth/signup")
  [[ $code == 201 ]] || { echo "$me: sign-up answered $code: $(cat "$work/$who.signup")" >&2; return 1; }
  body=$(python3 -c 'import json,sys; print(json.dumps({"email": sys.argv[1], "password": sys.argv[2]}))' "$email" "$password")
  code=$(curl -s -c "$work/$who.jar" -o "$work/$who.login" -w '%{http_code}' \
    -H 'Content-Type: application/json' -d "$body" "$nimbus_url/api/v1/auth/login")
  [[ $code == 200 ]] || { echo "$me: login answered $code: $(cat "$work/$who.login")" >&2; return 1; }
  csrf=$(json_field "$work/$who.login" csrf_token)
  code=$(curl -s -b "$work/$who.jar" -o "$work/$who.token" -w '%{http_code}' -H "X-CSRF-Token: $csrf" \
    -H 'Content-Type: application/json' -d '{"name":"bench"}' "$nimbus_url/api/v1/me/tokens")
  [[ $code == 201 ]] || { echo "$me: token answered $code: $(cat "$work/$who.token")" >&2; return 1; }
  json_field "$work/$who.token" token
}
