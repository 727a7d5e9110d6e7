#!/usr/bin/env python3
"""Arrange the second-opinion fixture through AWS's own APIs only (boto3), so that the same calls
build it on our emulator and on stock moto (FIDELITY.md, "The second opinion").

    python emulator/api_fixture.py --endpoint http://127.0.0.1:PORT

No test-control endpoint is used: every version is as new as the call that published it, and
invocations are written with PutMetricData under the dimension sets Lambda itself publishes. The
scan that reads it runs with min_age_days 0, keep_last_n 1 and the attributed fallback; the
expected verdicts are in worker/tests/second_opinion.rs.

    idle         4 versions, nothing uses them             -> 1, 2, 3 candidates
    aliased      alias live -> 1, canary -> 4 (+ 10% to 2)  -> 3 candidate
    invoked      1 invoked directly, 2 through alias prod  -> 3 candidate
    esm          an SQS mapping targets esm:1              -> 2, 3 candidates
    wired        API Gateway may invoke 1, CloudFront replicates 2, S3 the function
                                                           -> 3 candidate
    provisioned  no SnapStart (AWS allows no provisioned concurrency with it), provisioned
                 concurrency on 2                          -> 1, 3 candidates
    tagged       carries snapstart-cleaner:protect         -> none
    plain        no SnapStart                              -> 1, 2, 3 candidates

The scan covers every version (`versions: all`); with the default, provisioned and plain would
not be in it.
"""

from __future__ import annotations

import argparse
import io
import json
import zipfile
from datetime import datetime, timedelta, timezone

import boto3

REGION = "us-west-2"
ACCOUNT = "123456789012"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("app.py", "def handler(event, context):\n    return {'ok': True}\n")
    return buf.getvalue()


def arrange(endpoint: str) -> None:
    client = lambda name: boto3.client(name, endpoint_url=endpoint, region_name=REGION,  # noqa: E731
                                       aws_access_key_id="testing", aws_secret_access_key="testing")
    lam, cw, sqs, iam = client("lambda"), client("cloudwatch"), client("sqs"), client("iam")
    role = iam.create_role(RoleName="fixture-role", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    code = _zip()

    def function(name: str, snapstart: bool = True, tags: dict[str, str] | None = None) -> None:
        spec = {"FunctionName": name, "Runtime": "python3.12", "Role": role, "Handler": "app.handler",
                "Code": {"ZipFile": code}, "MemorySize": 1024, "Tags": tags or {}}
        if snapstart:
            spec["SnapStart"] = {"ApplyOn": "PublishedVersions"}
        lam.create_function(**spec)
        for n in range(4):
            lam.update_function_configuration(FunctionName=name, Description=f"release {n + 1}")
            lam.get_waiter("function_updated_v2").wait(FunctionName=name)
            lam.publish_version(FunctionName=name)

    for name in ("idle", "aliased", "invoked", "esm", "wired"):
        function(name)
    function("provisioned", snapstart=False)
    function("tagged", tags={"snapstart-cleaner:protect": "true"})
    function("plain", snapstart=False)

    lam.create_alias(FunctionName="aliased", Name="live", FunctionVersion="1")
    lam.create_alias(FunctionName="aliased", Name="canary", FunctionVersion="4",
                     RoutingConfig={"AdditionalVersionWeights": {"2": 0.1}})
    lam.create_alias(FunctionName="invoked", Name="prod", FunctionVersion="4")

    queue = sqs.create_queue(QueueName="orders")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    lam.create_event_source_mapping(FunctionName="esm:1", EventSourceArn=queue_arn)

    lam.add_permission(FunctionName="wired", Qualifier="1", StatementId="apigw", Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com",
                       SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:abc123/*/GET/orders")
    lam.add_permission(FunctionName="wired", Qualifier="2", StatementId="replicator", Action="lambda:GetFunction",
                       Principal="replicator.lambda.amazonaws.com")
    lam.add_permission(FunctionName="wired", StatementId="s3", Action="lambda:InvokeFunction",
                       Principal="s3.amazonaws.com")

    lam.put_provisioned_concurrency_config(FunctionName="provisioned", Qualifier="2",
                                           ProvisionedConcurrentExecutions=1)

    # What Lambda publishes for one invocation of version 1 (4 calls) and seven through alias prod
    # that ran version 2 (developer guide, "Types of metrics for Lambda functions": the
    # {FunctionName}, {FunctionName, Resource} and {FunctionName, Resource, ExecutedVersion} sets).
    an_hour_ago = datetime.now(timezone.utc) - timedelta(hours=1)
    series = [
        ({"FunctionName": "invoked", "Resource": "invoked:1"}, 4.0),
        ({"FunctionName": "invoked", "Resource": "invoked:prod"}, 7.0),
        ({"FunctionName": "invoked", "Resource": "invoked:prod", "ExecutedVersion": "2"}, 7.0),
        ({"FunctionName": "invoked"}, 11.0),
    ]
    cw.put_metric_data(Namespace="AWS/Lambda", MetricData=[
        {"MetricName": "Invocations", "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
         "Timestamp": an_hour_ago, "Value": value, "Unit": "Count"}
        for dims, value in series
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoint", required=True)
    arrange(parser.parse_args().endpoint)
    print("arranged")


if __name__ == "__main__":
    main()
