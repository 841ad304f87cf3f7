#!/usr/bin/env bash
# Renders the checker's HTML view in headless Chromium, as a person would see it, and checks
# that the page loads without script errors, shows every operation, marks the first operation
# that cannot be placed and shows its details on hover. Leaves a screenshot to look at.
# Needs Debian's chromium (apt-get install -y chromium). Exits non-zero if any check fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-target/html-view}
mkdir -p "$out"
histories=sim/linearizability/tests/histories
cargo build -q -p linearizability --bin lincheck
lincheck=target/debug/lincheck

# c01-bad is not linearizable (exit 1 expected); etcd_005 is.
set +e
"$lincheck" --html "$out/view.html" "$histories/kv/c01-bad.txt" "$histories/jepsen/etcd_005.log" >"$out/summary.txt"
code=$?
set -e
[ "$code" = 1 ] || { echo "FAIL: lincheck exited $code, expected 1"; exit 1; }

chrome() {
  local profile
  profile=$(mktemp -d)
  chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$profile" \
    --enable-logging=stderr --v=0 "$@"
  rm -rf "$profile"
}

url="file://$(realpath "$out/view.html")#selftest"
chrome --window-size=1400,900 --dump-dom "$url" >"$out/dom.html" 2>"$out/chromium.log"
chrome --screenshot="$out/view.png" --window-size=1400,2000 --hide-scrollbars "$url" 2>>"$out/chromium.log" >/dev/null

fail=0
check() { # description, command...
  local what=$1; shift
  if "$@"; then echo "ok:   $what"; else echo "FAIL: $what"; fail=1; fi
}
expected_ops=$(( $(grep -c ':invoke' "$histories/kv/c01-bad.txt") + $(grep -c ':invoke' "$histories/jepsen/etcd_005.log") ))
drawn_ops=$(grep -o '<div class="op ' "$out/dom.html" | wc -l)
check "the page's script ran to the end (no script error)" grep -q 'data-ready="yes"' "$out/dom.html"
check "no console errors were logged" bash -c "! grep -E 'CONSOLE.*(Uncaught|Error)' '$out/chromium.log'"
check "every operation is drawn ($drawn_ops of $expected_ops)" test "$drawn_ops" = "$expected_ops"
check "the page opens with the first unplaceable operation in a 1400x900 window" grep -q 'data-stuck-in-view="yes"' "$out/dom.html"
check "exactly one first unplaceable operation is marked" test "$(grep -o 'class="[^"]*first-unplaced' "$out/dom.html" | wc -l)" = 1
check "hover shows its details: the get of key 7 that reads \"x 0 0 y\"" \
  grep -q 'data-hovered="get(&quot;7&quot;) -&gt; &quot;x 0 0 y&quot;' "$out/dom.html"
check "both verdicts are shown" bash -c "grep -q 'not linearizable' '$out/dom.html' && grep -q '>linearizable (' '$out/dom.html'"
check "partitions are separated (8 keys + 1 register)" test "$(grep -o 'class="partition ' "$out/dom.html" | wc -l)" = 9
check "the screenshot was taken" test -s "$out/view.png"
echo "page: $out/view.html  screenshot: $out/view.png"
exit $fail
