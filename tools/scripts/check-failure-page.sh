#!/usr/bin/env bash
# Renders the failure page of one failing run per family (Raft, KV, MapReduce, and the ABD
# example) in headless Chromium, as a person would open it in a 1400x900 window, and checks
# that its script ran without console errors, that the failing check's evidence is in the
# viewport when the page opens, that the evidence's messages are drawn and that hovering the
# evidence describes it. Leaves a screenshot of each page to look at.
# Usage: tools/scripts/check-failure-page.sh [OUT_DIR]   (default target/failure-pages)
# Needs Debian's chromium (apt-get install -y chromium). Exits 1 if any check fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-target/failure-pages}
mkdir -p "$out"
command -v chromium >/dev/null || { echo "chromium is not installed (apt-get install -y chromium)"; exit 2; }
cargo build -q --release --bin sim --bin abd
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
failures="$CARGO_TARGET_DIR/sim-failures"

chrome() {
  local profile
  profile=$(mktemp -d)
  timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$profile" \
    --enable-logging=stderr --v=0 --window-size=1400,900 "$@"
  rm -rf "$profile"
}

fail=0
check() { # description, command...
  local what=$1; shift
  if "$@"; then echo "ok:   $what"; else echo "FAIL: $what"; fail=1; fi
}

# family binary scenario seed mutant: each a named mutant caught by its family's tests.
while read -r family bin scenario seed mutant; do
  echo "== $family: $scenario seed $seed mutant $mutant"
  dir="$failures/$scenario-$seed-$mutant"
  rm -rf "$dir"
  set +e
  "$CARGO_TARGET_DIR/release/$bin" --seed "$seed" --scenario "$scenario" --mutant "$mutant" >"$out/$family-report.txt"
  code=$?
  set -e
  check "the run fails (exit 1, got $code)" test "$code" = 1
  page="$dir/index.html"
  check "the report names the page" grep -q "failure page: .*index.html" "$out/$family-report.txt"
  check "the page was written" test -s "$page"
  [ -s "$page" ] || continue
  check "the page is self-contained (no external src or href)" \
    bash -c "! grep -Eq '(src|href)=\"(https?:)?//' '$page'"
  check "the page is small ($(stat -c %s "$page") bytes < 4 MB)" test "$(stat -c %s "$page")" -lt 4000000
  url="file://$(realpath "$page")#selftest"
  chrome --dump-dom "$url" >"$out/$family-dom.html" 2>"$out/$family-chromium.log"
  chrome --hide-scrollbars --screenshot="$out/$family.png" "file://$(realpath "$page")" \
    2>>"$out/$family-chromium.log" >/dev/null
  dom="$out/$family-dom.html"
  check "the page's script ran to the end" grep -q 'data-ready="yes"' "$dom"
  check "no console errors were logged" bash -c "! grep -E 'CONSOLE.*(Uncaught|Error)' '$out/$family-chromium.log'"
  check "the evidence is in the viewport on load" grep -q 'data-evidence-in-view="yes"' "$dom"
  check "the evidence's messages are drawn" grep -Eq 'data-arrows="[1-9][0-9]*"' "$dom"
  check "hovering the evidence describes it" grep -Eq 'data-hovered="[^"]+' "$dom"
  check "the screenshot was taken" test -s "$out/$family.png"
  echo "page: $page  screenshot: $out/$family.png"
done <<'EOF'
raft sim raft-election-random 14 vote-twice-in-term
kv sim kv-random 2 no-duplicate-detection
mapreduce sim mr-crash 1 write-in-place
abd abd abd-random 5 skip-write-back
EOF
exit $fail
