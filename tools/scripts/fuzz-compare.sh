#!/usr/bin/env bash
# The fuzzing comparison: for each named mutant, the executions and CPU-seconds to its first
# failure for (a) a plain seed sweep, (b) libFuzzer on the family's choice-buffer target with
# code coverage only (DST_STATE_COV=0) and (c) the same binary with protocol-state coverage,
# at one CPU cap per attempt, REPS repetitions each; then the medians.
#
#   tools/scripts/fuzz-compare.sh [CAP_CPU_SECS [REPS]]      (defaults 30 and 10)
#   MUTANTS="raft_choices raft-election-random vote-twice-in-term" tools/scripts/fuzz-compare.sh
#   FUZZ_FLAGS=-len_control=0 tools/scripts/fuzz-compare.sh    (extra libFuzzer flags)
#
# Repetition r of the sweep runs seeds r*1e6, r*1e6+1, ... (disjoint streams) until a seed
# fails, counting the runs and their CPU-s (the sweep's per-run thread CPU time). Repetition
# r of a fuzzer runs from an empty corpus in a fresh temp dir with -seed=r+1 under a CPU-time
# limit of CAP (ulimit -t; a wall limit of 3*CAP backs it up); its executions are libFuzzer's
# number_of_executed_units at the crash, its CPU-s the process's user+system time. An attempt
# that reaches the cap counts as not found; a median over attempts some of which found
# nothing counts those as infinitely long (shown as ">cap" when the median is one of them).
# MODES (default "sweep fuzz-code fuzz-state") picks the columns, OUT the directory.
# Raw results go to target/fuzz-compare/raw.tsv as they come (APPEND=1 adds to it), the
# table to table.md; `fuzz-compare.sh table [CAP]` prints the table of raw.tsv again.
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-target/fuzz-compare}
modes=${MODES:-sweep fuzz-code fuzz-state}
mkdir -p "$out"
raw=$out/raw.tsv
if [ "${1:-}" = table ]; then cap=${2:-30}; else cap=${1:-30}; fi
reps=${2:-10}
sim=target/release/sim
bins=tools/fuzz/target/x86_64-unknown-linux-gnu/release
mutants=${MUTANTS:-"raft_choices raft-election-random vote-twice-in-term
raft_choices raft-election-random forget-vote-on-restart
kv_choices kv-random stale-local-read
kv_choices kv-random dup-table-not-in-snapshot
mr_choices mr-random skip-sync"}

# Seeds of stream `rep` in chunks until one fails or the CPU cap is spent: "found runs cpu".
sweep() {
  local scenario=$1 mutant=$2 rep=$3 start=$(($3 * 1000000)) chunk=20 runs=0 cpu=0
  while :; do
    local json=$out/sweep.json
    rm -f "$json"
    $sim sweep --scenario "$scenario" --mutant "$mutant" --seeds "$start..$((start + chunk))" \
      --jobs 1 --json "$json" >/dev/null 2>&1
    read -r found runs cpu < <(python3 - "$json" "$runs" "$cpu" "$cap" <<'PY'
import json, os, sys
path, runs, cpu, cap = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
lines = open(path).readlines() if os.path.exists(path) else []
if not lines:
    print("error", runs, cpu)  # the sweep ran nothing: a bad scenario or mutant name
for line in lines:
    record = json.loads(line)
    runs += 1
    cpu += record["cpu_secs"]
    if record["verdict"] == "fail":
        print(1, runs, round(cpu, 3)); break
    if cpu >= cap:
        print(0, runs, round(cpu, 3)); break
else:
    if lines:
        print("more", runs, round(cpu, 6))
PY
)
    [ "$found" = error ] && { echo "sweep $scenario --mutant $mutant ran nothing" >&2; exit 2; }
    [ "$found" != more ] && { echo "$found $runs $cpu"; return; }
    start=$((start + chunk))
    chunk=$((chunk < 400 ? chunk * 2 : chunk))
  done
}

# libFuzzer on `target` from an empty corpus: "found execs cpu".
fuzz() {
  local target=$1 mutant=$2 rep=$3 statecov=$4 dir
  dir=$(mktemp -d)
  mkdir -p "$dir/corpus"
  ( ulimit -t "$cap"
    DST_STATE_COV=$statecov DST_MUTANT=$mutant /usr/bin/time -f "cpu %U %S" -o "$dir/time" \
      "$bins/$target" "$dir/corpus" -seed=$((rep + 1)) -max_total_time=$((cap * 3)) \
      -print_final_stats=1 -artifact_prefix="$dir/" ${FUZZ_FLAGS:-} >"$dir/log" 2>&1 )
  local found=0 execs cpu
  ls "$dir"/crash-* >/dev/null 2>&1 && found=1
  execs=$(grep -o 'number_of_executed_units: [0-9]*' "$dir/log" | tail -1 | grep -o '[0-9]*$')
  [ -z "$execs" ] && execs=$(grep -oE '^#[0-9]+' "$dir/log" | tail -1 | tr -d '#')
  cpu=$(awk '/^cpu/ { print $2 + $3 }' "$dir/time")
  # Killed at the CPU limit: time(1) reports no figures; the cap was spent.
  [ -z "$cpu" ] && cpu=$cap
  echo "$found ${execs:-0} $cpu"
  rm -rf "$dir"
}

# The medians of raw.tsv as a Markdown table.
table() {
  python3 - "$raw" "$cap" <<'PY'
import sys
from collections import defaultdict
path, cap = sys.argv[1], sys.argv[2]
rows = defaultdict(list)
for line in open(path):
    scenario, mutant, mode, rep, found, count, cpu = line.rstrip("\n").split("\t")
    rows[(scenario, mutant, mode)].append((found == "1", int(count), float(cpu)))
def median(values):
    values = sorted(values)
    n = len(values)
    m = values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2
    return m
def cell(results, pick, fmt):
    values = [pick(r) if r[0] else float("inf") for r in results]
    m = median(values)
    return f">cap" if m == float("inf") else fmt(m)
modes = ["sweep", "fuzz-code", "fuzz-state"]
print(f"CPU cap {cap} s per attempt; medians; not found counts as infinite.\n")
print("| scenario | mutant | " + " | ".join(f"{m}: found, runs, CPU-s" for m in modes) + " |")
print("|---|---|" + "---|" * len(modes))
for key in dict.fromkeys((s, m) for s, m, _ in rows):
    cells = []
    for mode in modes:
        results = rows.get(key + (mode,), [])
        if not results:
            cells.append("-"); continue
        found = sum(r[0] for r in results)
        runs = cell(results, lambda r: r[1], lambda v: f"{v:.0f}")
        cpu = cell(results, lambda r: r[2], lambda v: f"{v:.3f}")
        cells.append(f"{found}/{len(results)}, {runs}, {cpu}")
    print(f"| {key[0]} | {key[1]} | " + " | ".join(cells) + " |")
PY
}
[ "${1:-}" = table ] && { table; exit 0; }

cargo build -q --release --bin sim || exit 2
(cd tools/fuzz && for t in raft_choices kv_choices mr_choices; do
  cargo +nightly fuzz build --fuzz-dir . -s none "$t" 2>/dev/null || exit 2
done) || exit 2

[ -n "${APPEND:-}" ] || : >"$raw"
echo "== cap ${cap} CPU-s per attempt, $reps repetitions; raw results in $raw"
while read -r target scenario mutant; do
  [ -z "$target" ] && continue
  for rep in $(seq 0 $((reps - 1))); do
    for mode in $modes; do
      case $mode in
        sweep) result=$(sweep "$scenario" "$mutant" "$rep") ;;
        fuzz-code) result=$(fuzz "$target" "$mutant" "$rep" 0) ;;
        fuzz-state) result=$(fuzz "$target" "$mutant" "$rep" 1) ;;
        *) echo "unknown mode $mode" >&2; exit 2 ;;
      esac
      [ -n "$result" ] || exit 2
      echo "$scenario $mutant $mode $rep $result" | tr ' ' '\t' | tee -a "$raw"
    done
  done
done <<<"$mutants"
table | tee "$out/table.md"
