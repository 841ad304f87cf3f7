#!/usr/bin/env bash
# Our checker and Porcupine side by side, in one run, on the same history files.
#
#   tools/scripts/bench-checker-vs-porcupine.sh [REPEAT] [FILE...]
#
# Both check each file REPEAT times (default 5) and report the median time of the check alone
# (parsing excluded), one thread each. Prints per file both times and Porcupine/ours, then the
# sum of medians and each process's CPU time (user+sys, which includes parsing and start-up).
# Needs ../shared/tools/porcupine-bench (PORCUPINE_BENCH overrides). A benchmark: run it on an
# idle machine; it asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/../.."
repeat=${1:-5}
shift || true
porcupine=${PORCUPINE_BENCH:-../shared/tools/porcupine-bench}
[ -x "$porcupine" ] || porcupine=/work/shared/tools/porcupine-bench
histories=sim/linearizability/tests/histories
if [ $# -eq 0 ]; then
  mapfile -t files < <(cut -f1 "$histories/EXPECTED.tsv" | sed "s|^|$histories/|")
else
  files=("$@")
fi
cargo bench -q -p linearizability --bench histories --no-run 2>/dev/null
ours=$(ls -t target/release/deps/histories-* | grep -v '\.d$' | head -1)
out=$(mktemp -d)
TIMEFORMAT='%U %S'
{ time "$ours" --repeat "$repeat" "${files[@]}" >"$out/ours.tsv"; } 2>"$out/ours.cpu"
{ time "$porcupine" -timeout 0 -repeat "$repeat" "${files[@]}" >"$out/porcupine.tsv"; } 2>"$out/porcupine.cpu"

awk -F'\t' -v ours_cpu="$(cat "$out/ours.cpu")" -v porc_cpu="$(cat "$out/porcupine.cpu")" '
  FNR == NR { if ($1 != "total") { porc[$1] = $3; pverdict[$1] = $2 } ; next }
  $1 == "total" { next }
  {
    name = $1; sub(/.*histories\//, "", name)
    ratio = ($3 > 0) ? porc[$1] / $3 : 0
    agree = (pverdict[$1] == $2) ? "" : "  VERDICTS DIFFER: porcupine " pverdict[$1]
    printf "%-22s %-12s porcupine %9.3f ms  ours %8.3f ms  x%.1f%s\n", name, $2, porc[$1], $3, ratio, agree
    sum_p += porc[$1]; sum_o += $3
  }
  END {
    split(ours_cpu, o, " "); split(porc_cpu, p, " ")
    printf "sum of medians: porcupine %.1f ms, ours %.1f ms, porcupine/ours x%.1f\n", sum_p, sum_o, sum_p / sum_o
    printf "process CPU (user+sys, all repeats): porcupine %.2f s, ours %.2f s, porcupine/ours x%.1f\n",
      p[1] + p[2], o[1] + o[2], (p[1] + p[2]) / (o[1] + o[2] > 0 ? o[1] + o[2] : 0.001)
  }' "$out/porcupine.tsv" "$out/ours.tsv"
rm -rf "$out"
