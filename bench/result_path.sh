#!/usr/bin/env bash
# Prints the path of a new results file for bench NAME: bench/results/<date>-NAME.md, or, when a
# run of the same day is there already, the first free <date>-NAME-2.md, -3.md... (never
# overwrites an earlier result). Usage: bench/result_path.sh NAME
set -euo pipefail
dir="$(cd "$(dirname "$0")" && pwd)/results"
base="$dir/$(date -u +%F)-$1"
path="$base.md"
n=2
while [[ -e $path ]]; do path="$base-$n.md"; n=$((n + 1)); done
echo "$path"
