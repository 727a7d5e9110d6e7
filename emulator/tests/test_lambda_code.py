"""GetFunction's Code.Location: a link that downloads the version's zip and expires (code.py)."""

from __future__ import annotations

import base64
import hashlib
import io
import time
import urllib.error
import urllib.request
import zipfile

from conftest import tiny_zip


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def sha256_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def other_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("app.py", "def handler(e, c):\n    return 2\n")
    return buf.getvalue()


def test_each_version_s_link_downloads_its_own_zip_hashing_to_its_code_sha256(lam, make_function):
    make_function("orders", versions=1)
    lam.update_function_code(FunctionName="orders", ZipFile=other_zip())
    lam.publish_version(FunctionName="orders")

    for version, zipped in (("1", tiny_zip()), ("2", other_zip())):
        answer = lam.get_function(FunctionName="orders", Qualifier=version)
        status, body = fetch(answer["Code"]["Location"])

        assert answer["Code"]["RepositoryType"] == "S3"
        assert status == 200 and body == zipped, version
        assert sha256_b64(body) == answer["Configuration"]["CodeSha256"], version


def test_a_link_past_its_validity_answers_as_an_expired_presigned_url(emulator, lam, make_function):
    make_function("orders", versions=1)
    assert "X-Amz-Expires=600" in lam.get_function(FunctionName="orders", Qualifier="1")["Code"]["Location"]
    emulator.control("POST", "/_emulator/lambda/code", {"valid_seconds": 0})
    url = lam.get_function(FunctionName="orders", Qualifier="1")["Code"]["Location"]
    time.sleep(1.1)

    status, body = fetch(url)

    assert status == 403
    assert b"<Code>AccessDenied</Code>" in body and b"Request has expired" in body


def test_downloads_can_be_refused_or_tampered_with(emulator, lam, make_function):
    make_function("orders", versions=1)
    emulator.control("POST", "/_emulator/lambda/code", {"refuse": True})
    url = lam.get_function(FunctionName="orders", Qualifier="1")["Code"]["Location"]
    assert fetch(url)[0] == 403

    emulator.control("POST", "/_emulator/lambda/code", {"refuse": False, "tamper": True})
    status, body = fetch(url)
    assert status == 200 and sha256_b64(body) != lam.get_function(FunctionName="orders", Qualifier="1")["Configuration"]["CodeSha256"]
    assert emulator.control("GET", "/_emulator/lambda/code")["downloads"] == 1


def test_a_deleted_version_s_link_finds_nothing(lam, make_function):
    make_function("orders", versions=2)
    url = lam.get_function(FunctionName="orders", Qualifier="1")["Code"]["Location"]
    lam.delete_function(FunctionName="orders", Qualifier="1")

    status, body = fetch(url)

    assert status == 404 and b"NoSuchKey" in body


def test_bad_code_link_settings_are_refused_and_reset_restores_the_default(emulator):
    status, answer = emulator.call("POST", "/_emulator/lambda/code", {"valid_secs": 5})
    assert status == 400 and answer["suggestion"] == "valid_seconds"
    assert emulator.call("POST", "/_emulator/lambda/code", {"valid_seconds": -1})[0] == 400
    assert emulator.call("POST", "/_emulator/lambda/code", {"tamper": "yes"})[0] == 400
    emulator.control("POST", "/_emulator/lambda/code", {"valid_seconds": 5, "refuse": True})

    emulator.control("POST", "/_emulator/reset")

    assert emulator.control("GET", "/_emulator/lambda/code") == {"valid_seconds": 600, "refuse": False, "tamper": False, "downloads": 0}
