#!/usr/bin/env bash
# Storage benchmark: one blob of SIZE_MIB (default 1024) written through MirroredVolume over two
# LocalVolumes (both copies fdatasync'ed) and read back verified, side by side in one run with a
# pair of `dd conv=fsync` writing the same amount to two files at once, plus SHA-256 throughput.
# Writes bench/results/YYYY-MM-DD-storage.md with date, machine and commit.
#
# Usage: bench/storage.sh      Env: SIZE_MIB (1024), BENCH_DIR (scratch dir on the disk to
#        measure; default build-bench/scratch), ROUNDS (3), OUT (results file)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
SIZE_MIB=${SIZE_MIB:-1024}
ROUNDS=${ROUNDS:-3}
BENCH_DIR=${BENCH_DIR:-$repo/build-bench/scratch}
OUT=${OUT:-$("$repo/bench/result_path.sh" storage)}

cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNIMBUS_BUILD_TESTS=OFF \
  -DNIMBUS_BUILD_BENCH=ON >/dev/null
cmake --build build-bench --target nimbus_storage_bench >/dev/null
bin=build-bench/bench/micro/nimbus_storage_bench

rm -rf "$BENCH_DIR" && mkdir -p "$BENCH_DIR"
trap 'rm -rf "$BENCH_DIR"' EXIT
head -c $((SIZE_MIB << 20)) /dev/urandom >"$BENCH_DIR/source"
cat "$BENCH_DIR/source" >/dev/null  # dd reads it from the page cache, as nimbus reads memory

declare -a nimbus_w nimbus_r nimbus_f sha dd_w dd_r ddd_w small1 small16
run_nimbus() {
  sync
  out=$("$bin" "$BENCH_DIR/nimbus-$1" "$SIZE_MIB")
  nimbus_w+=("$(awk '/^mirrored_write_mib_s/ {print $2}' <<<"$out")")
  nimbus_r+=("$(awk '/^verified_read_mib_s/ {print $2}' <<<"$out")")
  nimbus_f+=("$(awk '/^first_read_mib_s/ {print $2}' <<<"$out")")
  sha+=("$(awk '/^sha256_mib_s/ {print $2}' <<<"$out")")
  small1+=("$(awk '/^small_4k_1_writer_per_s/ {print $2}' <<<"$out")")
  small16+=("$(awk '/^small_4k_16_writers_per_s/ {print $2}' <<<"$out")")
  rm -rf "$BENCH_DIR/nimbus-$1"
}
run_dd() {
  sync
  start=$(date +%s.%N)
  dd if="$BENCH_DIR/source" of="$BENCH_DIR/a" bs=1M conv=fsync status=none &
  dd if="$BENCH_DIR/source" of="$BENCH_DIR/b" bs=1M conv=fsync status=none
  wait
  end=$(date +%s.%N)
  dd_w+=("$(awk -v s="$start" -v e="$end" -v m="$SIZE_MIB" 'BEGIN {printf "%.1f", m / (e - s)}')")
  start=$(date +%s.%N)
  dd if="$BENCH_DIR/a" of=/dev/null bs=1M status=none
  end=$(date +%s.%N)
  dd_r+=("$(awk -v s="$start" -v e="$end" -v m="$SIZE_MIB" 'BEGIN {printf "%.1f", m / (e - s)}')")
  rm -f "$BENCH_DIR/a" "$BENCH_DIR/b"
  # The same pair with O_DIRECT: on this kind of VM buffered writeback swings between rounds
  # (two modes, ~400 and ~1000 MiB/s per file), direct writes are steadier; a second reference.
  sync
  start=$(date +%s.%N)
  dd if="$BENCH_DIR/source" of="$BENCH_DIR/a" bs=1M oflag=direct conv=fsync status=none &
  dd if="$BENCH_DIR/source" of="$BENCH_DIR/b" bs=1M oflag=direct conv=fsync status=none
  wait
  end=$(date +%s.%N)
  ddd_w+=("$(awk -v s="$start" -v e="$end" -v m="$SIZE_MIB" 'BEGIN {printf "%.1f", m / (e - s)}')")
  rm -f "$BENCH_DIR/a" "$BENCH_DIR/b"
}
# The order alternates (nimbus first in even rounds, dd first in odd ones), so neither side
# always runs right after the other's deletes and writeback.
for ((i = 0; i < ROUNDS; i++)); do
  if ((i % 2 == 0)); then run_nimbus "$i"; run_dd; else run_dd; run_nimbus "$i"; fi
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
mw=$(median "${nimbus_w[@]}"); dw=$(median "${dd_w[@]}")
mr=$(median "${nimbus_r[@]}"); dr=$(median "${dd_r[@]}")
ratio=$(awk -v a="$mw" -v b="$dw" 'BEGIN {printf "%.2f", a / b}')
ddw=$(median "${ddd_w[@]}")
ratio_direct=$(awk -v a="$mw" -v b="$ddw" 'BEGIN {printf "%.2f", a / b}')

# Before $OUT is written (it may be a tracked file): were the sources changed?
commit="$(git rev-parse --short=12 HEAD)$(git diff --quiet HEAD -- src app bench/micro cmake || echo ' (with local changes)')"
mkdir -p "$(dirname "$OUT")"
cat >"$OUT" <<EOT
# Storage benchmark: MirroredVolume vs a dd pair ($(date -u +%F))

- Date: $(date -u '+%F %T') UTC
- Machine: $(nproc) CPUs ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(free -g | awk '/Mem:/ {print $2}') GiB RAM, kernel $(uname -r)
- Disk: $(df -h "$BENCH_DIR" | awk 'NR==2 {print $1 " (" $2 ", " $5 " used)"}'), file system $(stat -f -c %T "$BENCH_DIR")
- Commit: $commit
- Size: ${SIZE_MIB} MiB per write, ${ROUNDS} rounds (nimbus first in even rounds, dd first in odd ones), median shown
- nimbus: \`$bin DIR $SIZE_MIB\` — PutBlob through MirroredVolume over two LocalVolumes in the
  same directory tree (per-1 MiB XXH3, SHA-256 of the stream, both copies fdatasync + rename +
  dir fsync; whole 1 MiB blocks written with O_DIRECT), then a verified Get of the whole blob
  twice: the first from the disk (the O_DIRECT blocks are not in the page cache), the second
  from the page cache; then 2,000 blobs of 4 KiB through the same pair (rows of each disk's
  small.sqlite, each commit fsynced on both disks before the next), by one writer and by 16
  writers at once
- dd: two \`dd if=source of=X bs=1M conv=fsync\` at once (source in the page cache), then
  \`dd if=a of=/dev/null bs=1M\` (page cache); then the same pair with \`oflag=direct\`
  (second reference, write only)

| figure | nimbus MiB/s | dd MiB/s | all nimbus rounds | all dd rounds |
|---|---:|---:|---|---|
| mirrored write (2 copies, durable) | $mw | $dw | ${nimbus_w[*]} | ${dd_w[*]} |
| same, dd pair with oflag=direct | $mw | $ddw | | ${ddd_w[*]} |
| cached read (nimbus verifies every block) | $mr | $dr | ${nimbus_r[*]} | ${dd_r[*]} |
| first read after the write (from the disk) | $(median "${nimbus_f[@]}") | | ${nimbus_f[*]} | |
| SHA-256 (OpenSSL, one core) | $(median "${sha[@]}") | | ${sha[*]} | |
| 4 KiB blobs/s, one writer (durable on both disks) | $(median "${small1[@]}") | | ${small1[*]} | |
| 4 KiB blobs/s, 16 writers | $(median "${small16[@]}") | | ${small16[*]} | |

Write ratio nimbus/dd pair: **$ratio** (aim ≥ 0.9); nimbus/direct dd pair: **$ratio_direct**.
EOT
echo "storage.sh: wrote $OUT"
cat "$OUT"
