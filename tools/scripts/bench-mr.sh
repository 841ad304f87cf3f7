#!/usr/bin/env bash
# Word count over the eight course inputs: sequential vs 1, 2 and 4 real worker processes.
# Reports, per run: job time (the coordinator's own clock at JobDone, from its start), and
# wall and CPU (user+sys) time of the whole process group, which includes the coordinator's
# 1.5 s exit grace and the workers' exit. Short: a few seconds in all.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --quiet --release -p mr
MR="$PWD/target/release/mr"
INPUTS=("$PWD"/tools/mr/inputs/pg-*.txt)
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
PORT=$((20000 + RANDOM % 20000))

measure() { # label, command...
  local label="$1"; shift
  /usr/bin/time -f "%e %U %S" -o "$WORK/time" "$@"
  read -r wall user sys < "$WORK/time"
  printf '%-14s wall %6.2fs  cpu %6.2fs' "$label" "$wall" "$(echo "$user + $sys" | bc)"
}

cd "$WORK"
measure "sequential" "$MR" sequential --app wc "${INPUTS[@]}"
echo
sort mr-out-0 > expected && rm mr-out-0

for workers in 1 2 4; do
  rm -f mr-*
  PORT=$((PORT + 1))
  measure "$workers worker(s)" bash -c '
    MR="$1"; ADDR="$2"; N="$3"; shift 3
    "$MR" coordinator --addr "$ADDR" "$@" 2> coord.log &
    sleep 0.2
    for _ in $(seq "$N"); do "$MR" worker --app wc --addr "$ADDR" 2> /dev/null & done
    wait' _ "$MR" "127.0.0.1:$PORT" "$workers" "${INPUTS[@]}"
  job=$(grep JobDone coord.log | sed -E 's/.* ([0-9.]+)ms:.*/\1/')
  printf '  job %8.1fms' "$job"
  if cat mr-out-* | sort | cmp -s - expected; then echo "  output ok"; else echo "  OUTPUT DIFFERS"; exit 1; fi
done
