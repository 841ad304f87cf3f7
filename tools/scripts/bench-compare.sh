#!/usr/bin/env bash
# Measures the simulator's suites for this tree and for another commit in the same run, so
# the figures compare as ratios on a noisy, shared machine (never across days).
#
#   tools/scripts/bench-compare.sh [REV] [SEEDS]
#
# REV (default HEAD~1) is built in a worktree under target/bench-compare/; SEEDS (default
# 200) is the Raft sweep's size (the KV sweep runs a quarter of it). Each figure is the
# process's CPU-seconds (user + system) as `sim` measures them, and wall seconds; runs of
# the two binaries alternate, twice, and the smaller of each pair is kept.
set -euo pipefail
cd "$(dirname "$0")/../.."

rev="${1:-HEAD~1}"
seeds="${2:-200}"
case "$seeds" in '' | *[!0-9]*) echo "usage: $0 [REV] [SEEDS]" >&2; exit 2 ;; esac
jobs=2
kv_seeds=$(( seeds / 4 ))

commit=$(git rev-parse --verify "$rev^{commit}") || { echo "unknown revision $rev" >&2; exit 2; }
dir="target/bench-compare/${commit:0:12}"
if [ ! -x "$dir/target/release/sim" ]; then
    rm -rf "$dir"
    mkdir -p target/bench-compare
    git worktree add --detach -f "$dir" "$commit" >/dev/null
    (cd "$dir" && cargo build --release --locked --bin sim) >&2
fi
cargo build --release --locked --bin sim >&2
OLD="$dir/target/release/sim"
NEW="target/release/sim"

# cpu_of BIN ARGS...: the CPU-s a sweep reports, or the suite line's.
cpu_of() {
    "$@" 2>/dev/null | grep -oE '[0-9]+\.[0-9]+ CPU-s' | tail -1 | cut -d' ' -f1
}
best() { awk -v a="$1" -v b="$2" 'BEGIN { print (a < b ? a : b) }'; }

measure() {  # measure LABEL ARGS... -> "LABEL old new"
    local label="$1"; shift
    local o1 n1 o2 n2
    o1=$(cpu_of "$OLD" "$@"); n1=$(cpu_of "$NEW" "$@")
    o2=$(cpu_of "$OLD" "$@"); n2=$(cpu_of "$NEW" "$@")
    echo "$label $(best "$o1" "$o2") $(best "$n1" "$n2")"
}

echo "machine: $(nproc) cores; old = ${commit:0:12} ($rev), new = working tree; CPU-s, best of two"
{
    measure "raft-suite-seed-1" sweep --scenario 'raft-*' --seeds 1..2 --jobs 1
    measure "raft-sweep-$seeds" sweep --scenario 'raft-*' --seeds "1..$(( seeds + 1 ))" --jobs "$jobs"
    measure "kv-suite-seed-1" sweep --scenario 'kv-*' --seeds 1..2 --jobs 1
    measure "kv-sweep-$kv_seeds" sweep --scenario 'kv-*' --seeds "1..$(( kv_seeds + 1 ))" --jobs "$jobs"
    measure "mr-sweep-$kv_seeds" sweep --scenario 'mr-*' --seeds "1..$(( kv_seeds + 1 ))" --jobs "$jobs"
} | awk '{ printf "%-20s old %8.2f  new %8.2f  old/new %5.2fx\n", $1, $2, $3, ($3 > 0 ? $2 / $3 : 0) }'
