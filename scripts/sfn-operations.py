#!/usr/bin/env python3
"""Calls every Step Functions operation through boto3 against kyc-local, and counts the ones that
answered as AWS does.

"As AWS does" is judged against the service model botocore ships (the one the AWS CLI and boto3 use):
the call succeeds with HTTP 200 and its answer has every member the model marks `required`, in the
type the model gives (recursively through structures, lists and maps). The operations run as one
scenario on resources the script creates (a state machine with versions and an alias, an activity
and its worker, executions answered through the activity's task token), so each call has real work
to answer.

Usage: scripts/sfn-operations.py [--kyc-local target/stack/kyc-local] [--expect N]
Starts `kyc-local serve --port 0 --in-memory`, prints one line per operation and the count, and
exits 1 when fewer than N operations answered as AWS does (N defaults to all of them).
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import time

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError

REGION = "us-east-1"
ROLE = "arn:aws:iam::000000000000:role/sfn-operations"


def start_kyc_local(binary, root):
    proc = subprocess.Popen(
        [binary, "serve", "--port", "0", "--in-memory", "--template", os.path.join(root, "template.yaml")],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    deadline = time.time() + 120
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            if proc.poll() is not None:
                raise SystemExit(f"kyc-local exited with {proc.returncode} before it was ready")
            continue
        if line.startswith("kyc-local ready endpoint="):
            endpoint = line.split("endpoint=", 1)[1].split()[0]
            return proc, endpoint
    proc.kill()
    raise SystemExit("kyc-local did not say it was ready within 120 s")


def problems(shape, value, path="$"):
    """What does not match the model in `value` (as botocore parsed it): required members missing,
    wrong types, recursively through structures, lists and maps; empty when it matches."""
    t = shape.type_name
    if t == "structure":
        if not isinstance(value, dict):
            return [f"{path} is not a structure"]
        found = [f"{path}.{name} missing" for name in shape.required_members if name not in value]
        for k, v in value.items():
            if k in shape.members:
                found += problems(shape.members[k], v, f"{path}.{k}")
        return found
    if t == "list":
        if not isinstance(value, list):
            return [f"{path} is not a list"]
        return [p for i, v in enumerate(value) for p in problems(shape.member, v, f"{path}[{i}]")]
    if t == "map":
        if not isinstance(value, dict):
            return [f"{path} is not a map"]
        return [p for k, v in value.items() for p in problems(shape.value, v, f"{path}.{k}")]
    ok = {
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "long": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "double": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "timestamp": lambda v: isinstance(v, datetime.datetime),
        "blob": lambda v: isinstance(v, (bytes, bytearray)),
    }.get(t, lambda v: True)
    return [] if ok(value) else [f"{path} has the wrong type ({t} expected)"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("--kyc-local", default=os.path.join(root, "target", "stack", "kyc-local"))
    parser.add_argument("--expect", type=int, default=None, help="fail below this many (default: all)")
    args = parser.parse_args()

    model = botocore.session.get_session().get_service_model("stepfunctions")
    operations = sorted(model.operation_names)
    proc, endpoint = start_kyc_local(args.kyc_local, root)
    try:
        sfn = boto3.client(
            "stepfunctions",
            endpoint_url=endpoint,
            region_name=REGION,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            # TestState and StartSyncExecution go to a `sync-` prefixed host (README, TestState).
            config=Config(inject_host_prefix=False, retries={"max_attempts": 1}, read_timeout=90),
        )
        results = {}

        def call(op, **params):
            method = getattr(sfn, botocore.xform_name(op))
            try:
                out = method(**params)
            except ClientError as e:
                err = e.response.get("Error", {})
                results[op] = (False, f"{err.get('Code')}: {err.get('Message', '')[:120]}")
                return None
            except Exception as e:  # noqa: BLE001 - a transport error is an answer too
                results[op] = (False, f"{type(e).__name__}: {str(e)[:120]}")
                return None
            out.pop("ResponseMetadata", None)
            shape = model.operation_model(op).output_shape
            found = problems(shape, out) if shape is not None else []
            if found:
                results[op] = (False, "; ".join(found[:3]))
            elif op not in results:
                results[op] = (True, "")
            return out

        stamp = str(int(time.time() * 1000))
        activity = call("CreateActivity", name=f"sfnops-worker-{stamp}")
        activity_arn = activity["activityArn"] if activity else f"arn:aws:states:{REGION}:000000000000:activity:none"
        definition = {
            "Comment": "waits for the activity worker",
            "StartAt": "Work",
            "States": {"Work": {"Type": "Task", "Resource": activity_arn, "TimeoutSeconds": 300, "End": True}},
        }
        created = call(
            "CreateStateMachine",
            name=f"sfnops-{stamp}",
            definition=json.dumps(definition),
            roleArn=ROLE,
            publish=True,
            versionDescription="first",
            tags=[{"key": "team", "value": "kyc"}],
        )
        sm = created["stateMachineArn"] if created else f"arn:aws:states:{REGION}:000000000000:stateMachine:none"
        call("DescribeStateMachine", stateMachineArn=sm)
        call("ListStateMachines", maxResults=10)
        definition["Comment"] = "second revision"
        updated = call("UpdateStateMachine", stateMachineArn=sm, definition=json.dumps(definition))
        call("ValidateStateMachineDefinition", definition=json.dumps(definition), type="STANDARD")
        call("TestState", definition=json.dumps({"Type": "Pass", "Result": {"ok": True}, "End": True}), input="{}",
             inspectionLevel="DEBUG")
        call("TagResource", resourceArn=sm, tags=[{"key": "stage", "value": "test"}])
        call("UntagResource", resourceArn=sm, tagKeys=["stage"])
        call("ListTagsForResource", resourceArn=sm)
        call("DescribeActivity", activityArn=activity_arn)
        call("ListActivities")
        version = call("PublishStateMachineVersion", stateMachineArn=sm,
                       revisionId=(updated or {}).get("revisionId"), description="second")
        version_arn = (version or {}).get("stateMachineVersionArn", sm + ":1")
        call("ListStateMachineVersions", stateMachineArn=sm)
        alias = call("CreateStateMachineAlias", name="live", routingConfiguration=[
            {"stateMachineVersionArn": version_arn, "weight": 100}])
        alias_arn = (alias or {}).get("stateMachineAliasArn", sm + ":live")
        call("DescribeStateMachineAlias", stateMachineAliasArn=alias_arn)
        call("UpdateStateMachineAlias", stateMachineAliasArn=alias_arn, description="all traffic")
        call("ListStateMachineAliases", stateMachineArn=sm)

        # Executions answered by an activity worker: success, failure, and one stopped.
        executions = []
        for name in ("ok", "fails", "stopped"):
            started = call("StartExecution", stateMachineArn=alias_arn if name == "ok" else sm,
                           name=f"{name}-{stamp}", input=json.dumps({"n": 1}))
            executions.append((started or {}).get("executionArn"))
        # Activity tasks are handed out oldest first: the first is the "ok" execution's.
        task = call("GetActivityTask", activityArn=activity_arn, workerName="sfnops")
        token = (task or {}).get("taskToken") or "none"
        call("SendTaskHeartbeat", taskToken=token)
        call("SendTaskSuccess", taskToken=token, output=json.dumps({"done": True}))
        task = sfn.get_activity_task(activityArn=activity_arn, workerName="sfnops")
        call("SendTaskFailure", taskToken=task.get("taskToken") or "none", error="Declined", cause="by the worker")
        if executions[2]:
            call("StopExecution", executionArn=executions[2], error="Stopped", cause="by sfn-operations")
        first = executions[0] or f"arn:aws:states:{REGION}:000000000000:execution:none:none"
        call("DescribeExecution", executionArn=first)
        call("ListExecutions", stateMachineArn=sm, statusFilter="SUCCEEDED")
        call("GetExecutionHistory", executionArn=first, reverseOrder=True, includeExecutionData=False)
        call("DescribeStateMachineForExecution", executionArn=first)
        if executions[1]:
            # SendTaskFailure is answered before the execution has ended: wait (bounded) for it.
            for _ in range(100):
                if sfn.describe_execution(executionArn=executions[1])["status"] != "RUNNING":
                    break
                time.sleep(0.05)
            call("RedriveExecution", executionArn=executions[1])

        # An Express workflow, run synchronously.
        express = call("CreateStateMachine", name=f"sfnops-express-{stamp}", type="EXPRESS", roleArn=ROLE,
                       definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}))
        if express:
            call("StartSyncExecution", stateMachineArn=express["stateMachineArn"], input="{}")
            # CreateStateMachine answered twice: keep the first verdict unless this one failed.
        else:
            call("StartSyncExecution", stateMachineArn=sm, input="{}")

        # Map Runs: a Distributed Map over inline items, one child at a time, each waiting a
        # minute, so the run is still going when UpdateMapRun changes it.
        dmap = call("CreateStateMachine", name=f"sfnops-map-{stamp}", roleArn=ROLE, definition=json.dumps({
            "StartAt": "M", "States": {"M": {"Type": "Map", "End": True, "MaxConcurrency": 1, "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "P", "States": {"P": {"Type": "Wait", "Seconds": 60, "End": True}}}}}}))
        map_run_arn = None
        if dmap:
            run = call("StartExecution", stateMachineArn=dmap["stateMachineArn"], input=json.dumps([1, 2, 3]))
            if run:
                runs = call("ListMapRuns", executionArn=run["executionArn"])
                if runs and runs.get("mapRuns"):
                    map_run_arn = runs["mapRuns"][0]["mapRunArn"]
        if "ListMapRuns" not in results:
            call("ListMapRuns", executionArn=first)
        map_run_arn = map_run_arn or f"arn:aws:states:{REGION}:000000000000:mapRun:none/M:none"
        call("DescribeMapRun", mapRunArn=map_run_arn)
        call("UpdateMapRun", mapRunArn=map_run_arn, maxConcurrency=5)

        call("DeleteStateMachineAlias", stateMachineAliasArn=alias_arn)
        call("DeleteStateMachineVersion", stateMachineVersionArn=version_arn)
        call("DeleteActivity", activityArn=activity_arn)
        call("DeleteStateMachine", stateMachineArn=sm)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()

    answered = 0
    for op in operations:
        ok, why = results.get(op, (False, "not called"))
        answered += ok
        print(f"  {'ok  ' if ok else 'FAIL'} {op}{'' if ok else ': ' + why}")
    expect = len(operations) if args.expect is None else args.expect
    print(f"{answered} of {len(operations)} Step Functions operations answered as AWS does (expected at least {expect})")
    return 0 if answered >= expect else 1


if __name__ == "__main__":
    sys.exit(main())
