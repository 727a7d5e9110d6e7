"""Shared fixtures: one emulator subprocess per test session, reset per test."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

EMULATOR_DIR = Path(__file__).resolve().parent.parent
REGION = "us-west-2"
ACCOUNT = "123456789012"

sys.path.insert(0, str(EMULATOR_DIR))


class Emulator:
    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def call(self, method: str, path: str, payload: Any = None) -> tuple[int, Any]:
        data = None if payload is None else json.dumps(payload).encode()
        req = urllib.request.Request(self.endpoint + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return resp.status, json.load(resp)
        except urllib.error.HTTPError as err:
            return err.code, json.load(err)

    def control(self, method: str, path: str, payload: Any = None) -> Any:
        status, body = self.call(method, path, payload)
        assert status == 200, (status, body)
        return body

    def client(self, service: str, region: str = REGION, retries: int = 1,
               credentials: dict[str, str] | None = None, access_key: str = "testing",
               pool: int = 10) -> Any:
        """A boto3 client; ``credentials`` is an sts:AssumeRole ``Credentials`` dict."""
        creds = {"aws_access_key_id": access_key, "aws_secret_access_key": "testing"}
        if credentials is not None:
            creds = {"aws_access_key_id": credentials["AccessKeyId"],
                     "aws_secret_access_key": credentials["SecretAccessKey"],
                     "aws_session_token": credentials["SessionToken"]}
        return boto3.client(
            service, endpoint_url=self.endpoint, region_name=region, **creds,
            config=Config(retries={"total_max_attempts": retries, "mode": "standard"},
                          max_pool_connections=pool),
        )

    def assume(self, account: str, external_id: str | None = None) -> dict[str, str]:
        """Temporary credentials for account's snapstart-cleaner role."""
        kwargs = {"ExternalId": external_id} if external_id else {}
        return self.client("sts").assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/snapstart-cleaner", RoleSessionName="cleaner",
            **kwargs)["Credentials"]


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Any:
    port_file = tmp_path_factory.mktemp("emu") / "port"
    proc = subprocess.Popen(
        [sys.executable, str(EMULATOR_DIR / "snapstart_emulator.py"), "--port", "0",
         "--port-file", str(port_file)],
        stdout=subprocess.PIPE, stderr=None, text=True,
    )
    deadline = time.monotonic() + 20
    while not port_file.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("emulator did not start")
        time.sleep(0.05)
    emu = Emulator(f"http://127.0.0.1:{int(port_file.read_text())}")
    yield emu
    proc.send_signal(signal.SIGTERM)
    try:
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.fixture(autouse=True)
def _reset(emulator: Emulator) -> None:
    emulator.control("POST", "/_emulator/reset")


@pytest.fixture
def lam(emulator: Emulator) -> Any:
    return emulator.client("lambda")


@pytest.fixture
def role_arn(emulator: Emulator) -> str:
    iam = emulator.client("iam")
    return iam.create_role(RoleName="test-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]


def zip_of(source: str) -> bytes:
    """A zip holding app.py; the same bytes on every call (a fixed timestamp, not the clock's)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(zipfile.ZipInfo("app.py", date_time=(2024, 1, 1, 0, 0, 0)), source)
    return buf.getvalue()


def tiny_zip() -> bytes:
    return zip_of("def handler(e, c):\n    return 1\n")


def fn_arn(name: str, qualifier: str | None = None, region: str = REGION, account: str = ACCOUNT) -> str:
    arn = f"arn:aws:lambda:{region}:{account}:function:{name}"
    return f"{arn}:{qualifier}" if qualifier else arn


@pytest.fixture
def make_function(lam: Any, role_arn: str) -> Any:
    def make(name: str, snapstart: bool = True, versions: int = 0, runtime: str = "python3.12") -> None:
        kwargs: dict[str, Any] = {}
        if snapstart:
            kwargs["SnapStart"] = {"ApplyOn": "PublishedVersions"}
        lam.create_function(FunctionName=name, Runtime=runtime, Role=role_arn, Handler="app.handler",
                            Code={"ZipFile": tiny_zip()}, **kwargs)
        for i in range(versions):
            lam.update_function_configuration(FunctionName=name, Description=f"v{i + 1}")
            lam.publish_version(FunctionName=name)
    return make


@pytest.fixture
def seed(emulator: Emulator) -> Any:
    def apply(scenario: dict[str, Any]) -> Any:
        scenario = dict(scenario)
        scenario.setdefault("region", REGION)
        return emulator.control("POST", "/_emulator/seed", scenario)
    return apply


os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
