#!/usr/bin/env bash
# Seeds to first failure per schedule strategy: 20 independent seed streams (stream i starts
# at seed i*100000), at most CAP seeds each (a stream that finds nothing counts CAP+1); prints
# the median and every stream's count per (mutant, strategy).
#
#   tools/scripts/strategy-seeds.sh [raft|kv]    (default raft)
set -uo pipefail
cd "$(dirname "$0")/../.."
cargo build -q --release --bin sim
sim=target/release/sim
cap=${CAP:-40}
family=${1:-raft}
case "$family" in
  raft) list='raft-election-random vote-twice-in-term
raft-random forget-vote-on-restart
raft-2c-figure8-unreliable commit-old-term-by-counting' ;;
  kv) list='kv-random no-duplicate-detection
kv-random reply-before-apply
kv-random stale-local-read
kv-random dup-table-not-in-snapshot' ;;
  *) echo "usage: $0 [raft|kv]" >&2; exit 2 ;;
esac
while read -r scenario mutant; do
  for strategy in random pct delay-bound; do
    counts=()
    for stream in $(seq 0 19); do
      n=$((cap + 1))
      for k in $(seq 1 "$cap"); do
        $sim --seed $((stream * 100000 + k - 1)) --scenario "$scenario" --mutant "$mutant" \
          --strategy "$strategy" >/dev/null 2>&1
        if [ $? -eq 1 ]; then n=$k; break; fi
      done
      counts+=("$n")
    done
    median=$(printf '%s\n' "${counts[@]}" | sort -n | awk '{a[NR]=$1} END {print (a[10]+a[11])/2}')
    echo "$scenario $mutant $strategy median $median  [${counts[*]}]"
  done
done <<< "$list"
