"""Checks that the CI recipes in tools/ci agree with themselves and with `sim`, by running
their commands: the workflow's sweep step once per matrix slice and its gather step on the
results; the Kubernetes Job's container command once per completion index. A small seed
range and a few cheap scenarios stand in for the nightly ones (both files read them from
environment variables). Linting is check-ci-files.sh's job; this is about behaviour.

Usage: python3 tools/ci/check_ci_files.py SIM_BINARY
"""

import json
import os
import subprocess
import sys
import tempfile

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIOS = "raft-2a-*"  # three scenarios
SEEDS = "1..6"  # five seeds
RUNS = 3 * 5


def fail(message):
    print(f"FAIL: {message}")
    sys.exit(1)


def ok(message):
    print(f"ok:   {message}")


def records(text):
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def check_workflow(sim):
    with open(os.path.join(HERE, "nightly-sweep.yml")) as f:
        workflow = yaml.safe_load(f)
    job = workflow["jobs"]["sweep"]
    slices = job["strategy"]["matrix"]["partition"]
    n = len(slices)
    if slices != list(range(1, n + 1)):
        fail(f"the matrix is not 1..{n}: {slices}")
    if job["env"]["PARTITIONS"] != str(n) or f"/{n}" not in job["name"]:
        fail(f"PARTITIONS and the job's name must say {n}")
    ok(f"the workflow's matrix, PARTITIONS and job name agree on {n} slices")
    sweep = next(s["run"] for s in job["steps"] if s.get("name", "").startswith("Sweep"))
    gather = next(s["run"] for s in workflow["jobs"]["gather"]["steps"] if s.get("name", "").startswith("Failing"))
    with tempfile.TemporaryDirectory() as work:
        os.makedirs(os.path.join(work, "target", "release"))
        os.symlink(sim, os.path.join(work, "target", "release", "sim"))
        for k in slices:
            env = dict(os.environ, SEEDS=SEEDS, SCENARIOS=SCENARIOS, TIME_BUDGET="600",
                       PARTITIONS=str(n), SLICE=str(k))
            done = subprocess.run(["bash", "-e", "-c", sweep], cwd=work, env=env, capture_output=True, text=True)
            if done.returncode != 0:
                fail(f"the sweep step of slice {k} exited {done.returncode}: {done.stderr}")
        results = os.path.join(work, "results")
        runs = []
        for k in slices:
            with open(os.path.join(results, f"runs-{k}.jsonl")) as f:
                runs += records(f.read())
            if not os.path.getsize(os.path.join(results, f"junit-{k}.xml")):
                fail(f"slice {k} wrote no JUnit report")
        keys = sorted((r["scenario"], r["seed"]) for r in runs)
        if len(keys) != RUNS or len(set(keys)) != RUNS:
            fail(f"the slices ran {len(keys)} runs ({len(set(keys))} distinct), not {RUNS} once each")
        ok(f"the sweep step's {n} slices ran every one of {RUNS} runs once")
        # A real failing seed beside them, for the gather step to find.
        subprocess.run([sim, "sweep", "--scenario", "raft-election-random", "--seeds", "14..15",
                        "--mutant", "vote-twice-in-term", "--json", os.path.join(results, "runs-extra.jsonl")],
                       capture_output=True, check=False)
        summary = os.path.join(work, "summary.md")
        env = dict(os.environ, GITHUB_STEP_SUMMARY=summary)
        done = subprocess.run(["bash", "-e", "-c", gather], cwd=work, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            fail(f"the gather step exited {done.returncode}: {done.stderr}")
        with open(os.path.join(work, "failing-seeds.txt")) as f:
            listed = f.read()
        if listed != "raft-election-random 14  # election-safety\n":
            fail(f"the gather step listed {listed!r}")
        ok("the gather step lists the failing seed as a corpus line")


def check_job(sim):
    with open(os.path.join(HERE, "k8s-sweep-job.yaml")) as f:
        job = yaml.safe_load(f)
    spec = job["spec"]
    container = spec["template"]["spec"]["containers"][0]
    env = {e["name"]: e["value"] for e in container["env"]}
    n = int(env["PARTITIONS"])
    if spec["completionMode"] != "Indexed" or spec["completions"] != n or spec["parallelism"] != n:
        fail(f"an Indexed Job with completions = parallelism = PARTITIONS = {n}")
    ok(f"the Job is Indexed, with {n} completions, as many in parallel, and PARTITIONS {n}")
    command = container["command"] + container["args"]
    path = os.path.dirname(sim) + os.pathsep + os.environ["PATH"]
    runs = []
    for index in range(n):
        run_env = {**os.environ, **env, "SEEDS": SEEDS, "SCENARIOS": SCENARIOS,
                   "JOB_COMPLETION_INDEX": str(index), "PATH": path}
        done = subprocess.run(command, env=run_env, capture_output=True, text=True)
        if done.returncode != 0:
            fail(f"index {index} exited {done.returncode}: {done.stderr}")
        if any(line and not line.startswith("{") for line in done.stdout.splitlines()):
            fail(f"index {index} wrote something other than JSON lines to stdout")
        runs += records(done.stdout)
    keys = sorted((r["scenario"], r["seed"]) for r in runs)
    if len(keys) != RUNS or len(set(keys)) != RUNS:
        fail(f"the {n} indices ran {len(keys)} runs ({len(set(keys))} distinct), not {RUNS} once each")
    ok(f"the Job's {n} pods' commands wrote {RUNS} JSON records to stdout, every run once")
    bad_env = {**os.environ, **env, "PATH": path, "JOB_COMPLETION_INDEX": "0", "SCENARIOS": "nope"}
    finding = subprocess.run(command, env=bad_env, capture_output=True, text=True)
    if finding.returncode == 0:
        fail("a bad scenario name (exit 2) must fail the pod")
    ok("a usage error still fails the pod")


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    sim = os.path.abspath(sys.argv[1])
    check_workflow(sim)
    check_job(sim)


if __name__ == "__main__":
    main()
