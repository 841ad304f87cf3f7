#!/usr/bin/env bash
# A deep sweep for a person or a nightly job: every family's random scenario and every
# course scenario, over seeds beyond those CI runs, for HOURS hours (default 1), in blocks
# that rotate between the families so each gets its share. Ends with a summary: runs and
# seeds per pattern, failures and timeouts with their replay commands.
#
#   tools/scripts/deep-sweep.sh [HOURS] [FIRST_SEED]
#
# FIRST_SEED (default 100000) lets successive nights cover new seeds (say, the date as a
# number times 100000). Exit 0 when every run passed, 1 when a run failed or timed out.
set -euo pipefail
cd "$(dirname "$0")/../.."

hours="${1:-1}"
first="${2:-100000}"
jobs="$(nproc)"
case "$hours" in
    '' | *[!0-9.]*) echo "usage: $0 [HOURS] [FIRST_SEED]" >&2; exit 2 ;;
esac
case "$first" in
    '' | *[!0-9]*) echo "usage: $0 [HOURS] [FIRST_SEED]" >&2; exit 2 ;;
esac

cargo build --release --locked --bin sim >&2
SIM=target/release/sim
out="target/deep-sweep-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
deadline=$(( $(date +%s) + $(awk "BEGIN { printf \"%d\", $hours * 3600 }") ))

# Pattern, and seeds per block: the random scenarios run many cheap seeds, a course suite
# fewer (each seed runs every scenario of the suite).
patterns=(raft-random kv-random mr-random 'raft-*' 'kv-*' 'mr-*')
blocks=(400 100 200 20 4 20)
# Families registered later join by name: take every `*-random` the binary lists.
for extra in $("$SIM" list | awk '{print $1}' | grep -E -- '-random$' | grep -vE '^(raft|kv|mr)-' || true); do
    patterns+=("$extra"); blocks+=(100)
done
declare -A next runs
for p in "${patterns[@]}"; do next[$p]=$first; runs[$p]=0; done

echo "deep sweep: ${hours} h from seed ${first}, ${jobs} jobs, logs in ${out}" >&2
round=0
while [ "$(date +%s)" -lt "$deadline" ]; do
    for i in "${!patterns[@]}"; do
        [ "$(date +%s)" -lt "$deadline" ] || break
        p="${patterns[$i]}"; n="${blocks[$i]}"; a="${next[$p]}"; b=$(( a + n ))
        log="$out/$(echo "$p" | tr -c 'a-z0-9\n-' '_')-$a.txt"
        "$SIM" sweep --scenario "$p" --seeds "$a..$b" --jobs "$jobs" >"$log" 2>/dev/null || true
        summary=$(grep '^sweep ' "$log" || echo "sweep $p seeds $a..$b: no summary (crashed?)")
        echo "  $summary" >&2
        count=$(echo "$summary" | sed -n 's/.*: \([0-9]*\) runs.*/\1/p')
        runs[$p]=$(( ${runs[$p]} + ${count:-0} ))
        next[$p]=$b
    done
    round=$(( round + 1 ))
done

echo
echo "== deep sweep summary (${hours} h, ${round} rounds, ${jobs} jobs)"
for p in "${patterns[@]}"; do
    printf '%-16s seeds %s..%s  %s runs\n' "$p" "$first" "${next[$p]}" "${runs[$p]}"
done
failures=$(cat "$out"/*.txt | grep -E '^(FAIL|TIMEOUT) ' || true)
if [ -n "$failures" ]; then
    echo
    echo "== failing or timed-out runs (replay commands and corpus lines below each)"
    cat "$out"/*.txt | grep -E -A2 '^(FAIL|TIMEOUT) '
    exit 1
fi
echo "every run passed"
