#!/usr/bin/env bash
# The KV service as real processes under a seeded nemesis, checked by our checker.
#
#   tools/scripts/kv-nemesis.sh [SECONDS] [SEED] [kv nemesis flags...]
#
# Starts 5 `kv server` processes on 127.0.0.1, each behind a fault-injecting proxy, runs 5
# clerks for SECONDS (default 60) while the SEED's schedule (default 1) kills and restarts,
# pauses and resumes servers and partitions, cuts, delays and drops their traffic; then heals,
# lets every clerk finish, stops everything it started and checks the history with
# `sim check`, writing its HTML view beside it when it is not linearizable. Extra flags go to
# `kv nemesis`, e.g. `--mutant stale-local-read`, `--faults kill,partition`, `--clients 8`.
#
# Prints the verdict, operations, faults injected and throughput. Exit 0: the history is
# linearizable; 1: it is not, or a server panicked; 2: bad usage or a harness error (a run
# that could not finish, a check that ran out of budget). Runs are kept under
# target/kv-nemesis/ (KV_NEMESIS_ROOT overrides). Ctrl-C stops everything and exits 2.
set -uo pipefail
cd "$(dirname "$0")/../.."

seconds=${1:-60}
seed=${2:-1}
shift $(($# < 2 ? $# : 2))
if ! [[ $seconds =~ ^[0-9]+$ && $seed =~ ^[0-9]+$ ]] || ((seconds < 1)); then
    echo "usage: $0 [SECONDS] [SEED] [kv nemesis flags...]" >&2
    exit 2
fi
drain=60

if ! cargo build -q --release --locked -p kv -p scenarios --bin kv --bin sim; then
    echo "kv-nemesis: build failed" >&2
    exit 2
fi
kv=target/release/kv
sim=target/release/sim
root=${KV_NEMESIS_ROOT:-target/kv-nemesis}
dir="$root/seed$seed-$(date +%Y%m%d-%H%M%S)-$$"
mkdir -p "$root"
out=$(mktemp)

# The nemesis runs in the background, under a deadline (the load, the drain, and a minute to
# start and stop), so that this script can pass Ctrl-C on to it as SIGTERM: it then resumes
# and kills its servers and exits 2. `timeout` forwards the signal and enforces the deadline.
timeout -s TERM -k 30 $((seconds + drain + 60)) \
    "$kv" nemesis --seconds "$seconds" --seed "$seed" --dir "$dir" --drain-secs "$drain" "$@" \
    >"$out" 2>&1 &
nemesis=$!
interrupted=0
trap 'interrupted=1; kill -TERM "$nemesis" 2>/dev/null' INT TERM
while :; do
    wait "$nemesis"
    rc=$?
    kill -0 "$nemesis" 2>/dev/null || break # a trapped signal interrupts wait; wait again
done
cat "$out"
mv "$out" "$dir/nemesis.txt" 2>/dev/null || rm -f "$out"
if ((interrupted)); then
    echo "kv-nemesis: interrupted"
    exit 2
fi
case $rc in
    0 | 1) ;; # 1: a server panicked; the history is still checked below
    *)
        echo "kv-nemesis: harness error (kv nemesis exited $rc); see $dir"
        exit 2
        ;;
esac

check_start=$(date +%s%N)
verdict=$("$sim" check "$dir/history.jsonl")
check_rc=$?
check_ms=$((($(date +%s%N) - check_start) / 1000000))
echo "$verdict"
html="(written for failing runs only)"
if ((check_rc == 1)); then
    # The same check again (exit 1 again) for its HTML view: passing runs skip the ~10 MB.
    "$sim" check "$dir/history.jsonl" --html "$dir/history.html" >/dev/null
    html=$dir/history.html
fi
summary() {
    grep -E "^(faults|operations):" "$dir/nemesis.txt" | sed 's/^/  /'
    echo "  check: ${check_ms} ms wall; HTML view $html"
}
case "$check_rc:$verdict" in
    0:*": linearizable,"*)
        if ((rc == 1)); then
            echo "kv-nemesis: FAIL, seed $seed: linearizable, but a server panicked (see above)"
            summary
            exit 1
        fi
        echo "kv-nemesis: PASS, seed $seed, $seconds s: linearizable"
        summary
        exit 0
        ;;
    1:*": not linearizable,"*)
        echo "kv-nemesis: FAIL, seed $seed, $seconds s: not linearizable"
        summary
        exit 1
        ;;
    *)
        echo "kv-nemesis: harness error: sim check exited $check_rc without a verdict"
        exit 2
        ;;
esac
