#!/usr/bin/env python3
"""Measures the hardening issue's hostile cases against a running kyc-local.

Starts `kyc-local serve --in-memory --port 0` from the given binary, runs each
case through boto3 with a deadline, and prints, per case: wall time, whether
the stack answered a probe request (ListStateMachines) while the case ran,
the probe's worst latency, and the server's peak RSS (sampled from /proc).

    scripts/hostile-measure.py target/stack/kyc-local [--only NAME] [--deadline S]

Used for the before/after figures of issue 10's note (run once with a build of
the commit before the fix, once with the current one). Bounded: every case has
a deadline (default 90 s) after which it is reported as not finished, and the
server is killed at the end.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time

import boto3
from botocore.config import Config


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


class Server:
    def __init__(self, binary, template):
        self.proc = subprocess.Popen(
            [binary, "serve", "--in-memory", "--port", "0", "--template", template],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.endpoint = None
        deadline = time.time() + 120
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            m = re.search(r"(http://127\.0\.0\.1:\d+)", line)
            if m:
                self.endpoint = m.group(1)
                break
        if not self.endpoint:
            self.proc.kill()
            raise SystemExit("kyc-local did not print its endpoint")
        threading.Thread(target=self._drain, daemon=True).start()
        self.peak = 0
        self.alive = True
        threading.Thread(target=self._sample, daemon=True).start()

    def _drain(self):
        for _ in self.proc.stdout:
            pass

    def _sample(self):
        while self.alive:
            r = rss_kib(self.proc.pid)
            if r is None:
                break
            self.peak = max(self.peak, r)
            time.sleep(0.05)

    def client(self, service, timeout):
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(
                read_timeout=timeout,
                connect_timeout=5,
                retries={"max_attempts": 1},
            ),
        )

    def stop(self):
        self.alive = False
        self.proc.kill()
        self.proc.wait()


def nested(levels):
    v = 1
    for _ in range(levels):
        v = {"a": v}
    return v


def machine(sfn, name, definition):
    return sfn.create_state_machine(
        name=name,
        definition=json.dumps(definition),
        roleArn="arn:aws:iam::123456789012:role/sfn",
    )["stateMachineArn"]


def run_execution(sfn, arn, payload, deadline):
    ex = sfn.start_execution(stateMachineArn=arn, input=json.dumps(payload))["executionArn"]
    end = time.time() + deadline
    while time.time() < end:
        d = sfn.describe_execution(executionArn=ex)
        if d["status"] != "RUNNING":
            return f'{d["status"]} {d.get("error", "")}'
        time.sleep(0.1)
    return "still RUNNING at the deadline"


def case_matching(server, deadline):
    events = server.client("events", deadline)
    detail, pattern = {}, {}
    for a in range(6):
        detail[f"f{a}"] = [{"v": i % 2} for i in range(14)]
        pattern[f"f{a}"] = {"v": [0, 1]}
    detail["g"] = [{"x": 1} if i % 2 == 0 else {"y": 1} for i in range(28)]
    pattern["g"] = {"x": [1], "y": [1]}
    event = {
        "id": "1", "account": "123456789012", "source": "s", "time": "2026-01-01T00:00:00Z",
        "region": "us-east-1", "resources": [], "detail-type": "t", "detail": detail,
    }
    r = events.test_event_pattern(EventPattern=json.dumps({"detail": pattern}), Event=json.dumps(event))
    return f"Result={r['Result']} (pattern {len(json.dumps({'detail': pattern}))} chars, event {len(json.dumps(event))} bytes)"


def case_result_path(server, deadline):
    sfn = server.client("stepfunctions", deadline)
    path = "$" + ".a" * 100_000
    arn = machine(sfn, "deep", {"StartAt": "D", "States": {"D": {"Type": "Pass", "ResultPath": path, "End": True}}})
    return run_execution(sfn, arn, {"x": 1}, deadline)


def case_deep_scan(server, deadline):
    sfn = server.client("stepfunctions", deadline)
    arn = machine(sfn, "scan", {"StartAt": "P", "States": {"P": {"Type": "Pass", "InputPath": "$..a..a..a..a..a..a..a..a", "End": True}}})
    return run_execution(sfn, arn, nested(100), deadline)


def case_loop(server, deadline):
    sfn = server.client("stepfunctions", deadline)
    arn = machine(sfn, "spin", {
        "StartAt": "Spin",
        "States": {
            "Spin": {"Type": "Pass", "Next": "Again?"},
            "Again?": {"Type": "Choice", "Choices": [{"Variable": "$.big", "IsPresent": True, "Next": "Spin"}], "Default": "Done"},
            "Done": {"Type": "Succeed"},
        },
    })
    return run_execution(sfn, arn, {"big": "x" * 200_000}, deadline)


CASES = {
    "matching": case_matching,
    "result-path": case_result_path,
    "deep-scan": case_deep_scan,
    "loop": case_loop,
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--template", default="template.yaml")
    ap.add_argument("--only")
    ap.add_argument("--deadline", type=float, default=90)
    args = ap.parse_args()
    for name, case in CASES.items():
        if args.only and name != args.only:
            continue
        server = Server(args.binary, args.template)
        probe = server.client("stepfunctions", 5)
        worst = [0.0, 0]
        done = threading.Event()

        def probing():
            while not done.is_set():
                t = time.time()
                try:
                    probe.list_state_machines()
                    worst[0] = max(worst[0], time.time() - t)
                except Exception:  # noqa: BLE001 - a probe that fails counts as unanswered
                    worst[1] += 1
                    worst[0] = max(worst[0], time.time() - t)
                time.sleep(0.1)

        threading.Thread(target=probing, daemon=True).start()
        start = time.time()
        outcome = {}

        def run():
            try:
                outcome["v"] = case(server, args.deadline)
            except Exception as e:  # noqa: BLE001 - reported as the case's outcome
                outcome["v"] = f"error: {type(e).__name__}: {e}"[:200]

        t = threading.Thread(target=run, daemon=True)
        t.start()
        t.join(args.deadline)
        elapsed = time.time() - start
        done.set()
        crashed = server.proc.poll() is not None
        result = outcome.get("v", f"not finished after {args.deadline:.0f} s")
        print(
            f"{name:12} {elapsed:7.2f} s  peak RSS {server.peak / 1024:7.1f} MiB  "
            f"probe worst {worst[0]:5.2f} s, {worst[1]} failed  "
            f"{'CRASHED ' if crashed else ''}{result}",
            flush=True,
        )
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
