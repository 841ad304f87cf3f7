#!/usr/bin/env bash
# Our checker and Porcupine side by side, in one run, on the same history files.
#
#   tools/scripts/bench-checker-vs-porcupine.sh [REPEAT] [FILE...]
#       Each checker checks each file REPEAT times (default 5), one thread each; one row per
#       file with both verdicts and median times of the check alone (parsing excluded), then
#       the sums, the ratio and the file where ours is slowest next to Porcupine (the cargo
#       bench `histories` prints it all). Without files: Porcupine's test set, 109 files
#       (jepsen/etcd_000-102, kv/c01, c10, c50 ok and bad), from $PORCUPINE_TEST_DATA (its
#       test_data directory), else extracted from a fetched copy of
#       github.com/anishathalye/porcupine ($PORCUPINE_REPO, a git directory; by default
#       /work/.mirror/anishathalye+porcupine/repo) into target/porcupine-test-data, never
#       committed; else the 64 of them shipped in sim/linearizability/tests/histories.
#
#   tools/scripts/bench-checker-vs-porcupine.sh etcd-real [DIR]
#       The etcd-real histories (default ../shared/histories/etcd-real): each file checked once
#       per checker in its own process, with wall time, CPU (user+sys) and peak RSS, and the
#       expected verdict from DIR/EXPECTED.tsv. Porcupine gets -timeout $PORCUPINE_TIMEOUT
#       (default 60 s) and -max-mem $PORCUPINE_MAX_MEM_MIB (default 8192) under a hard
#       `ulimit -v` of twice that; it can take minutes and gigabytes (NO_PORCUPINE=1 skips it).
#
# Needs ../shared/tools/porcupine-bench (PORCUPINE_BENCH overrides). A benchmark: run it on an
# idle machine, or compare only figures from one run; it asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/../.."
porcupine=${PORCUPINE_BENCH:-../shared/tools/porcupine-bench}
[ -x "$porcupine" ] || porcupine=/work/shared/tools/porcupine-bench
porcupine=$(realpath "$porcupine") # cargo runs the bench from the package's directory

porcupine_test_data() {
  if [ -n "${PORCUPINE_TEST_DATA:-}" ]; then echo "$PORCUPINE_TEST_DATA"; return; fi
  local repo=${PORCUPINE_REPO:-/work/.mirror/anishathalye+porcupine/repo}
  local out=target/porcupine-test-data
  if [ ! -d "$out/test_data" ] && git --git-dir="$repo" rev-parse -q --verify HEAD >/dev/null 2>&1; then
    mkdir -p "$out"
    git --git-dir="$repo" archive HEAD test_data | tar -x -C "$out"
  fi
  [ -d "$out/test_data" ] && echo "$PWD/$out/test_data"
}

etcd_real() {
  local dir=${1:-../shared/histories/etcd-real}
  [ -d "$dir" ] || dir=/work/shared/histories/etcd-real
  cargo build -q --release -p linearizability --bin lincheck
  local timeout=${PORCUPINE_TIMEOUT:-60} max_mem=${PORCUPINE_MAX_MEM_MIB:-8192}
  printf '%-16s %-12s | %-12s %8s %8s %8s | %-12s %8s %8s %8s\n' file expected ours wall_s cpu_s rss_MiB \
    porcupine wall_s cpu_s rss_MiB
  while IFS=$'\t' read -r file expected _; do
    local out ours theirs=("-" "-" "-" "-")
    out=$( { /usr/bin/time -f '%e %U %S %M' target/release/lincheck --threads 1 "$dir/$file" || true; } 2>&1)
    ours=$(echo "$out" | head -1 | sed -E 's/^[^:]*: (linearizable|not linearizable|unknown).*/\1/; s/not linearizable/not/')
    read -r wall user sys rss < <(echo "$out" | tail -1)
    if [ -z "${NO_PORCUPINE:-}" ]; then
      out=$( { (ulimit -v $((max_mem * 2048)); /usr/bin/time -f '%e %U %S %M' "$porcupine" \
        -timeout "$timeout" -max-mem "$max_mem" "$dir/$file") || true; } 2>&1)
      read -r pwall puser psys prss < <(echo "$out" | tail -1)
      theirs=("$(echo "$out" | head -1 | cut -f2)" "$pwall" "$(printf %.2f "$(echo "$puser + $psys" | bc)")" "$((prss / 1024))")
    fi
    printf '%-16s %-12s | %-12s %8s %8s %8s | %-12s %8s %8s %8s\n' "$file" "$expected" "$ours" "$wall" \
      "$(printf %.2f "$(echo "$user + $sys" | bc)")" "$((rss / 1024))" "${theirs[@]}"
  done < "$dir/EXPECTED.tsv"
}

if [ "${1:-}" = etcd-real ]; then
  shift
  etcd_real "$@"
  exit 0
fi

repeat=${1:-5}
shift || true
files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  if data=$(porcupine_test_data); then
    export PORCUPINE_TEST_DATA=$data
    echo "Porcupine's test set: $data"
  else
    echo "Porcupine's test set not found: the 64 shipped files only"
  fi
fi
cargo bench -q -p linearizability --bench histories -- --repeat "$repeat" --porcupine "$porcupine" \
  --porcupine-timeout 60 "${files[@]}"
