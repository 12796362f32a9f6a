#!/usr/bin/env bash
# Installs everything the build, the server, the tests and the benchmarks need on Debian 12.
# Idempotent: does nothing when every package is present; otherwise `apt-get update` once,
# then one `apt-get install`. Also installs the browser-test npm packages (npm ci).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  # build
  build-essential cmake ninja-build ccache pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsqlite3-dev libsodium-dev libssl-dev libcurl4-openssl-dev libtomlplusplus-dev
  libspdlog-dev libfmt-dev libarchive-dev libpugixml-dev libcli11-dev libxxhash-dev libpq-dev
  libicu-dev libjpeg62-turbo-dev libpng-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # tests: browser, SMTP sink, fault injection, HTTP client, disk faults
  chromium python3-aiosmtpd fiu-utils libfiu-dev curl xfsprogs sqlite3
  # benchmarks (bench/http.sh)
  wrk nginx-light libnginx-mod-http-dav-ext
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "bootstrap: missing packages: ${missing[*]}" >&2
    echo "bootstrap: run as root (or: sudo apt-get install -y ${missing[*]})" >&2
    exit 1
  fi
  echo "bootstrap: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Packages must not start daemons (nginx-light would listen on port 80 on every address):
  # the benchmark runs its own nginx on loopback. policy-rc.d 101 = "do not start services".
  policy=/usr/sbin/policy-rc.d
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Browser-test dependencies (playwright-core only; it drives Debian's chromium).
if [[ -f tests/e2e/package-lock.json ]]; then
  if [[ ! -d tests/e2e/node_modules/playwright-core ]] ||
     [[ tests/e2e/package-lock.json -nt tests/e2e/node_modules/.package-lock.json ]]; then
    (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
echo "bootstrap: ok"
