#!/usr/bin/env bash
# The shrink table: for each named mutant of every family (Raft, KV, MapReduce, controller,
# sharded KV, the ABD example), the first failing seed of a scenario that catches it (the
# families' catch lists), shrunk with a CPU budget (default 60 s, the issue's "under a
# minute"): events, faults, client requests and workload operations before and after, the
# shrinker's runs and CPU-seconds, the whole command's CPU-seconds (recording and counting
# included) and peak RSS, and whether the written file replays to the same check.
#
#   tools/scripts/shrink-table.sh [SECS] [FILTER]
#
# FILTER (a grep pattern) picks rows, e.g. `kv-random`. Rows go to stdout as Markdown and
# each shrink's whole output to target/shrink-table/. CPU-seconds, not wall: the machine is
# shared. Rows run one after another, never in parallel.
set -uo pipefail
cd "$(dirname "$0")/../.."
cargo build -q --release --bin sim --bin abd
secs=${1:-60}
filter=${2:-.}
out=target/shrink-table
mkdir -p "$out"
# "12 events, 3 faults (1 dropped), 4 client requests, 2 workload operations, 90 choice bytes"
field() { sed -E "s/.* ([0-9?]+) $1.*/\1/"; }
echo "| mutant | scenario, seed | check | events | faults (dropped) | client requests | workload ops | runs | shrink CPU-s | command CPU-s | peak RSS MB | replays |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
grep -v '^#' <<'LIST' | grep -E -- "$filter" | while read -r bin mutant scenario seeds; do
sim vote-twice-in-term raft-election-random 0..20
sim commit-old-term-by-counting raft-2c-figure8-unreliable 0..20
sim forget-vote-on-restart raft-random 1..3
sim skip-consistency-check raft-2b-backup 0..2
sim skip-truncation raft-2b-rejoin 0..2
sim drop-snapshot-on-restart raft-2d-snapshot-install-crash 0..2
sim broadcast-on-every-reply raft-random 1..2
sim ack-before-sync raft-storage 1..21
sim snapshot-in-place raft-storage 1..21
sim cut-any-bad-record raft-storage 1..21
sim meta-at-fixed-offsets raft-storage 1..41
sim ignore-sync-error raft-storage 1..21
sim no-duplicate-detection kv-random 1..10
sim dup-table-not-in-snapshot kv-random 1..40
sim stale-local-read kv-random 1..40
sim reply-before-apply kv-random 1..10
sim no-reassign mr-crash 1..11
sim reduce-before-maps-done mr-early-exit 1..4
sim count-duplicate-completions mr-crash 1..6
sim write-in-place mr-random 1..21
sim serial-tasks mr-map-parallelism 1..4
sim exit-on-wait mr-early-exit 1..4
sim skip-sync mr-crash 1..21
sim rebalance-in-local-order ctrler-basic 1..2
sim rebalance-from-scratch ctrler-basic 1..2
sim stale-query ctrler-random 1..4
sim ctrler-no-duplicate-detection ctrler-random 1..2
sim serve-unowned shardkv-random 1..3
sim serve-while-pulling shardkv-random 1..4
sim skip-configs shardkv-static-shards 1..2
sim drop-dup-table-on-migrate shardkv-random 1..3
sim delete-before-confirm shardkv-static-shards 1..2
sim never-delete shardkv-join-leave 1..2
sim serve-only-when-settled shardkv-challenge2-unaffected 1..2
sim never-snapshot shardkv-concurrent1 1..2
sim shardkv-no-duplicate-detection shardkv-unreliable3 1..2
abd skip-write-back abd-random 1..20
abd minority-quorum abd-random 1..5
abd forget-on-restart abd-random 1..5
LIST
  exe=target/release/$bin
  seed=$($exe sweep --scenario "$scenario" --seeds "$seeds" --mutant "$mutant" --jobs 1 2>/dev/null \
    | grep -m1 '^FAIL' | sed -E 's/.* seed ([0-9]+):.*/\1/')
  if [ -z "$seed" ]; then
    echo "| \`$mutant\` | $scenario | no failing seed in $seeds | | | | | | | | | |"
    continue
  fi
  file="$out/$scenario-$mutant.choices"
  log="$out/$scenario-$mutant.txt"
  /usr/bin/time -f "%U %S %M" -o "$out/time" $exe shrink --seed "$seed" --scenario "$scenario" \
    --mutant "$mutant" --max-secs "$secs" --max-runs 100000000 --out "$file" >"$log" 2>&1
  cpu=$(tail -1 "$out/time" | awk '{printf "%.1f", $1 + $2}')
  rss=$(tail -1 "$out/time" | awk '{printf "%d", $3 / 1024}')
  shrank=$(grep -m1 '^shrank' "$log")
  if [ -z "$shrank" ]; then
    echo "| \`$mutant\` | $scenario $seed | $(head -c 80 "$log" | tr '\n|' '  ') | | | | | | | $cpu | $rss | |"
    continue
  fi
  check=$(echo "$shrank" | sed -E "s/shrank check '([^']+)'.*/\1/")
  runs=$(echo "$shrank" | sed -E 's/.* in ([0-9]+) runs.*/\1/')
  scpu=$(echo "$shrank" | sed -E 's/.*, ([0-9.]+) CPU-s.*/\1/')
  before=$(grep -m1 'before:' "$log")
  after=$(grep -m1 'after:' "$log")
  pair() { echo "$(echo "$before" | field "$1") → $(echo "$after" | field "$1")"; }
  dropped=$(echo "$after" | sed -E 's/.*\(([0-9]+) dropped\).*/\1/')
  $exe replay --input "$file" >"$out/replay.txt" 2>&1
  code=$?
  replays=no
  if [ "$code" = 1 ] && grep -q "FAILED check '$check'" "$out/replay.txt"; then replays=yes; fi
  echo "| \`$mutant\` | $scenario $seed | $check | $(pair events) | $(pair faults) ($dropped) | $(pair 'client requests') | $(pair 'workload operations') | $runs | $scpu | $cpu | $rss | $replays |"
done
