"""GetFunction's Code.Location: a link that downloads the version's zip and expires (code.py)."""

from __future__ import annotations

import base64
import hashlib
import time
import urllib.error
import urllib.request

from conftest import tiny_zip, zip_of


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def sha256_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def other_zip() -> bytes:
    return zip_of("def handler(e, c):\n    return 2\n")


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
    assert emulator.call("POST", "/_emulator/lambda/code", {"expired_first": -1})[0] == 400
    emulator.control("POST", "/_emulator/lambda/code", {"valid_seconds": 5, "refuse": True, "expired_first": 2})

    emulator.control("POST", "/_emulator/reset")

    assert emulator.control("GET", "/_emulator/lambda/code") == {
        "valid_seconds": 600, "refuse": False, "tamper": False, "expired_first": 0, "downloads": 0}


def test_expired_first_hands_out_expired_links_then_good_ones(emulator, lam, make_function):
    make_function("orders", versions=1)
    emulator.control("POST", "/_emulator/lambda/code", {"expired_first": 1})

    first = lam.get_function(FunctionName="orders", Qualifier="1")["Code"]["Location"]
    second = lam.get_function(FunctionName="orders", Qualifier="1")["Code"]["Location"]

    status, body = fetch(first)
    assert status == 403 and b"Request has expired" in body
    assert fetch(second) == (200, tiny_zip())
    assert emulator.control("GET", "/_emulator/lambda/code")["expired_first"] == 0


REPO = "123456789012.dkr.ecr.us-west-2.amazonaws.com/resizer"


def raw_configuration(lam, **kwargs) -> dict:
    """GetFunction's Configuration as sent, before botocore drops null members."""
    import json

    seen: list[dict] = []

    def keep(http_response, **_):
        seen.append(json.loads(http_response.content))

    lam.meta.events.register("after-call.lambda.GetFunction", keep)
    try:
        lam.get_function(**kwargs)
    finally:
        lam.meta.events.unregister("after-call.lambda.GetFunction", keep)
    return seen[0]["Configuration"]


def test_an_image_version_keeps_its_image_and_has_no_download_link(lam, role_arn):
    lam.create_function(FunctionName="resizer", Role=role_arn, PackageType="Image", Code={"ImageUri": f"{REPO}:v1"},
                        SnapStart={"ApplyOn": "PublishedVersions"})
    v1 = lam.publish_version(FunctionName="resizer")
    lam.update_function_code(FunctionName="resizer", ImageUri=f"{REPO}:v2")

    got = lam.get_function(FunctionName="resizer", Qualifier="1")

    assert got["Code"] == {"RepositoryType": "ECR", "ImageUri": f"{REPO}:v1",
                           "ResolvedImageUri": f"{REPO}@sha256:{v1['CodeSha256']}"}
    assert lam.get_function(FunctionName="resizer")["Code"]["ImageUri"] == f"{REPO}:v2"
    config = raw_configuration(lam, FunctionName="resizer", Qualifier="1")
    assert config["PackageType"] == "Image" and config["SnapStart"]["OptimizationStatus"] == "On"
    assert not {"Runtime", "Handler", "ImageConfigResponse"} & set(config)


def test_seeded_image_functions_with_snapstart(seed, lam):
    seed({"functions": [{"name": "resizer", "package_type": "Image", "snapstart": True,
                         "versions": [{"image_uri": f"{REPO}:v1"}, {"image_uri": "localhost:5000/resizer@sha256:abc"}]},
                        {"name": "thumbs", "package_type": "Image", "versions": 1}]})

    one = lam.get_function(FunctionName="resizer", Qualifier="1")
    two = lam.get_function(FunctionName="resizer", Qualifier="2")

    assert one["Code"]["ImageUri"] == f"{REPO}:v1"
    assert two["Code"]["ResolvedImageUri"] == f"localhost:5000/resizer@sha256:{two['Configuration']['CodeSha256']}"
    assert two["Configuration"]["SnapStart"] == {"ApplyOn": "PublishedVersions", "OptimizationStatus": "On"}
    assert lam.get_function(FunctionName="thumbs", Qualifier="1")["Code"]["ImageUri"] == (
        "123456789012.dkr.ecr.us-west-2.amazonaws.com/thumbs:latest")


def test_bad_image_scenarios_are_refused(emulator):
    status, _ = emulator.call("POST", "/_emulator/seed", {"functions": [{"name": "f", "package_type": "Docker"}]})
    assert status == 400
    status, _ = emulator.call("POST", "/_emulator/seed", {"functions": [
        {"name": "g", "versions": [{"image_uri": f"{REPO}:v1"}]}]})
    assert status == 400


def test_a_seeded_package_of_a_given_size_downloads_whole_from_every_version(seed, lam):
    seed({"functions": [{"name": "big", "package_bytes": 3_000_000, "versions": 2}]})

    one = lam.get_function(FunctionName="big", Qualifier="1")
    body = urllib.request.urlopen(one["Code"]["Location"], timeout=30).read()

    assert 3_000_000 < len(body) < 3_001_000
    assert one["Configuration"]["CodeSize"] == len(body)
    assert base64.b64encode(hashlib.sha256(body).digest()).decode() == one["Configuration"]["CodeSha256"]
    assert lam.get_function(FunctionName="big", Qualifier="2")["Configuration"]["CodeSha256"] == one["Configuration"]["CodeSha256"]


def test_an_image_deployed_by_digest_has_that_digest_as_its_code_sha256(lam, role_arn):
    lam.create_function(FunctionName="img", Role=role_arn, PackageType="Image",
                        Code={"ImageUri": f"{REPO}:v1"}, SnapStart={"ApplyOn": "PublishedVersions"})
    digest = "5" * 64

    lam.update_function_code(FunctionName="img", ImageUri=f"{REPO}@sha256:{digest}")

    got = lam.get_function(FunctionName="img")
    assert got["Configuration"]["CodeSha256"] == digest
    assert got["Code"]["ResolvedImageUri"] == f"{REPO}@sha256:{digest}"
