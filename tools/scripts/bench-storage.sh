#!/usr/bin/env bash
# The disk model's cost, measured against an older `sim` binary in the same run (ratios only:
# the machine is shared and noisy):
# - the KV suite, every history checked: this tree's clerks loop without a pause, the old
#   binary's pause 5-50 ms between operations. Each of the kv-* scenarios runs seeds
#   1..=KV_SEEDS one process at a time; CPU-s (user + system) per seed of the whole suite,
#   and completed client operations per CPU-second.
# - the Raft sweep: `sweep --scenario 'raft-*'` and `raft-random` alone over seeds 1..=SEEDS
#   on one thread, CPU-s as the sweep reports them.
#
#   tools/scripts/bench-storage.sh OLD_SIM [KV_SEEDS] [SEEDS]
#
# OLD_SIM is the other binary (e.g. /work/baseline/sim-2731aff); this tree's is built.
set -euo pipefail
cd "$(dirname "$0")/../.."

old="${1:-}"
kv_seeds="${2:-3}"
seeds="${3:-200}"
usage() { echo "usage: $0 OLD_SIM [KV_SEEDS] [SEEDS]" >&2; exit 2; }
[ -x "$old" ] || usage
case "$kv_seeds$seeds" in '' | *[!0-9]*) usage ;; esac
cargo build --release --locked --bin sim >&2
new="target/release/sim"

# kv_suite BIN: "CPU-s completed-ops" of every kv-* scenario over seeds 1..=kv_seeds.
kv_suite() {
    local bin="$1" scenarios ops=0 n cpu start end me=$BASHPID
    scenarios=$("$bin" list 2>/dev/null | awk '$1 ~ /^kv-/ { print $1 }')
    start=$(awk '{ print $14 + $15 + $16 + $17 }' /proc/$me/stat)
    for s in $scenarios; do
        for seed in $(seq 1 "$kv_seeds"); do
            # "completed 2039" (this tree) or "(432 completed)" (older binaries)
            n=$("$bin" --seed "$seed" --scenario "$s" 2>/dev/null |
                grep -oE 'completed [0-9]+|[0-9]+ completed' | grep -oE '[0-9]+' | head -1 || true)
            ops=$(( ops + ${n:-0} ))
        done
    done
    end=$(awk '{ print $14 + $15 + $16 + $17 }' /proc/$me/stat)
    cpu=$(awk -v a="$start" -v b="$end" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", (b - a) / hz }')
    echo "$cpu $ops $(echo "$scenarios" | wc -w)"
}

sweep_cpu() {  # sweep_cpu BIN ARGS...: the CPU-s the sweep line reports
    "$@" 2>/dev/null | grep -oE '[0-9]+\.[0-9]+ CPU-s' | tail -1 | cut -d' ' -f1
}

echo "machine: $(nproc) cores, shared; old = $old, new = $new (this tree)"
read -r o_cpu o_ops o_n <<<"$(kv_suite "$old")"
read -r n_cpu n_ops n_n <<<"$(kv_suite "$new")"
awk -v c="$o_cpu" -v o="$o_ops" -v k="$kv_seeds" -v n="$o_n" 'BEGIN {
    printf "kv suite old (paused clerks):   %d scenarios x %d seeds: %7.2f CPU-s, %6.2f CPU-s/seed, %8d ops, %8.0f ops/CPU-s\n", n, k, c, c / k, o, o / c }'
awk -v c="$n_cpu" -v o="$n_ops" -v k="$kv_seeds" -v n="$n_n" 'BEGIN {
    printf "kv suite new (unpaused clerks): %d scenarios x %d seeds: %7.2f CPU-s, %6.2f CPU-s/seed, %8d ops, %8.0f ops/CPU-s\n", n, k, c, c / k, o, o / c }'
for pattern in 'raft-*' raft-random; do
    o=$(sweep_cpu "$old" sweep --scenario "$pattern" --seeds "1..$(( seeds + 1 ))" --jobs 1)
    n=$(sweep_cpu "$new" sweep --scenario "$pattern" --seeds "1..$(( seeds + 1 ))" --jobs 1)
    awk -v p="$pattern" -v s="$seeds" -v o="$o" -v n="$n" 'BEGIN {
        printf "sweep %-12s seeds 1..=%d, one thread: old %7.2f CPU-s, new %7.2f CPU-s, new/old %5.2fx\n", p, s, o, n, n / o }'
done
