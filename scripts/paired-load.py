#!/usr/bin/env python3
"""Paired load runs of two builds of the project, alternated so that both see the same machine.

Each side is a checkout (its template, state machine and function sources) and a target directory
holding its `stack`-profile build of `kyc-local` and the functions (`cargo build --profile stack`).
The script runs the test command's load run (`kyc-local bench --no-build --mix kyc --hostile ...`)
on each side in turn, ROUNDS times, and prints throughput, latency percentiles and kyc-local's
peak RSS per run and the median per side. Nothing else should run on the machine meanwhile.

    scripts/paired-load.py --before /work/wt-before:/work/tgt-before --after .:target --rounds 2

Each run's JSON report is kept in target/paired-load/<UTC time>/.
"""

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path


def run_once(checkout: Path, target: Path, workflows: int, out: Path) -> dict:
    env = dict(os.environ)
    env["CARGO_TARGET_DIR"] = str(target)
    cmd = [
        str(target / "stack" / "kyc-local"),
        "bench",
        "--no-build",
        "--workflows",
        str(workflows),
        "--concurrency",
        "32",
        "--mix",
        "kyc",
        "--timeout-seconds",
        "600",
        "--hostile",
        "--memory-budget-mib",
        "1024",
        "--json",
    ]
    with open(out, "w") as stdout, open(out.with_suffix(".log"), "w") as stderr:
        code = subprocess.run(cmd, cwd=checkout, env=env, stdout=stdout, stderr=stderr, timeout=1200).returncode
    report = json.loads(out.read_text())
    report["exit_code"] = code
    return report


def summary(report: dict) -> dict:
    return {
        "ok": report["exit_code"] == 0,
        "finished": report["finished"],
        "throughput": report["throughput_per_second"],
        "p50": report["latency_ms"]["p50"],
        "p99": report["latency_ms"]["p99"],
        "rss_mib": round(report["memory"]["own_peak_rss_kib"] / 1024, 1),
    }


def side(text: str) -> tuple[Path, Path]:
    checkout, _, target = text.partition(":")
    checkout_path = Path(checkout).resolve()
    target_path = Path(target).resolve() if target else checkout_path / "target"
    if not (target_path / "stack" / "kyc-local").exists():
        sys.exit(f"no {target_path / 'stack' / 'kyc-local'}: build it with cargo build --profile stack first")
    return checkout_path, target_path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", required=True, help="CHECKOUT[:TARGET_DIR]")
    parser.add_argument("--after", required=True, help="CHECKOUT[:TARGET_DIR]")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workflows", type=int, default=5000)
    args = parser.parse_args()
    sides = {"before": side(args.before), "after": side(args.after)}
    out = Path("target/paired-load") / datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out.mkdir(parents=True, exist_ok=True)
    results: dict[str, list[dict]] = {"before": [], "after": []}
    for r in range(args.rounds):
        # Alternate which side goes first, so neither always runs on a warmer machine.
        order = ["before", "after"] if r % 2 == 0 else ["after", "before"]
        for name in order:
            checkout, target = sides[name]
            s = summary(run_once(checkout, target, args.workflows, out / f"{name}-{r}.json"))
            results[name].append(s)
            print(f"round {r} {name:6} {json.dumps(s)}", flush=True)
    print()
    print(f"{'':8} {'wf/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'RSS MiB':>8}  (median of {args.rounds})")
    for name, runs in results.items():
        med = lambda k: statistics.median(run[k] for run in runs)  # noqa: E731
        print(f"{name:8} {med('throughput'):8.1f} {med('p50'):8.1f} {med('p99'):8.1f} {med('rss_mib'):8.1f}")
    failed = [name for name, runs in results.items() if not all(run["ok"] for run in runs)]
    if failed:
        print(f"runs that did not finish as expected: {failed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
