#!/usr/bin/env bash
# The shrink table: for each named Raft and KV mutant, the first failing seed of the scenario
# that catches it, shrunk with a CPU budget (default 20 s): events, faults and client
# operations before and after, the cost, and whether the written file replays to a failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
cargo build -q --release --bin sim
sim=target/release/sim
secs=${1:-20}
out=target/shrink-table
mkdir -p "$out"
while read -r scenario mutant seeds; do
  seed=$($sim sweep --scenario "$scenario" --seeds "$seeds" --mutant "$mutant" --jobs 1 2>/dev/null \
    | grep -m1 '^FAIL' | sed -E 's/.* seed ([0-9]+):.*/\1/')
  if [ -z "$seed" ]; then echo "== $scenario $mutant: no failing seed in $seeds"; continue; fi
  file="$out/$scenario-$mutant.choices"
  echo "== $scenario $mutant seed $seed"
  $sim shrink --seed "$seed" --scenario "$scenario" --mutant "$mutant" --max-secs "$secs" \
    --out "$file" | grep -E '^shrank|before:|after:'
  $sim replay --input "$file" >/dev/null; echo "replay exit $? (1: fails again)"
done <<'LIST'
raft-election-random vote-twice-in-term 0..20
raft-random vote-twice-in-term 1..20
raft-2c-figure8-unreliable commit-old-term-by-counting 0..20
raft-random forget-vote-on-restart 1..3
raft-2b-backup skip-consistency-check 0..2
raft-2b-rejoin skip-truncation 0..2
raft-2d-snapshot-install-crash drop-snapshot-on-restart 0..2
raft-random broadcast-on-every-reply 1..2
kv-random no-duplicate-detection 1..10
kv-random dup-table-not-in-snapshot 1..40
kv-random stale-local-read 1..40
kv-random reply-before-apply 1..10
LIST
