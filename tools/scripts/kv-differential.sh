#!/usr/bin/env bash
# Differential check of the linearizability checker: kv-random histories (honest and with each
# service mutant) written as JSON lines by `sim --history`, then checked by both `sim check` and
# Porcupine (porcupine-bench). Prints the counts per verdict and every disagreement.
#
#   tools/scripts/kv-differential.sh [HONEST_SEEDS] [MUTANT_SEEDS]
#
# Defaults: 200 honest seeds and 25 seeds per mutant (100 more histories). Exit 1 on any
# disagreement. Needs ../shared/tools/porcupine-bench (PORCUPINE_BENCH overrides).
set -euo pipefail
cd "$(dirname "$0")/../.."
honest=${1:-200}
per_mutant=${2:-25}
porcupine=${PORCUPINE_BENCH:-../shared/tools/porcupine-bench}
[ -x "$porcupine" ] || porcupine=/work/shared/tools/porcupine-bench
cargo build -q --release -p scenarios
sim=target/release/sim
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# A failing run (a mutant caught) still writes its history; its exit code 1 is expected.
for seed in $(seq 1 "$honest"); do
  "$sim" --seed "$seed" --scenario kv-random --history "$out/h-$seed.jsonl" >/dev/null || true
done
for mutant in no-duplicate-detection dup-table-not-in-snapshot stale-local-read reply-before-apply; do
  for seed in $(seq 1 "$per_mutant"); do
    "$sim" --seed "$seed" --scenario kv-random --mutant "$mutant" \
      --history "$out/m-$mutant-$seed.jsonl" >/dev/null || true
  done
done

files=("$out"/*.jsonl)
# Ours: "FILE: linearizable, ..." / "FILE: not linearizable, ..." / "FILE: unknown (...)".
"$sim" check --threads 1 --max-memory-mib 1024 "${files[@]}" >"$out/ours.txt" || true
"$porcupine" -timeout 60 -max-mem 2048 "${files[@]}" >"$out/porcupine.tsv" || true

awk -F'\t' '
  FNR == NR { porc[$1] = $2; next }
  {
    split($0, parts, ": "); file = parts[1]; rest = substr($0, length(file) + 3)
    ours = (rest ~ /^linearizable/) ? "linearizable" : (rest ~ /^not linearizable/) ? "not" : "unknown"
    total++; count[ours "/" porc[file]]++
    if (ours != porc[file]) { differ++; printf "DISAGREE %s: ours %s, porcupine %s\n", file, ours, porc[file] }
  }
  END {
    for (k in count) printf "  %-28s %d\n", "ours/porcupine " k, count[k]
    printf "%d histories, %d disagreements\n", total, differ + 0
    exit (differ > 0)
  }' "$out/porcupine.tsv" "$out/ours.txt"
