"""Changes to $LATEST as AWS answers them (lambda_updates.py): UpdateFunctionCode from S3,
RevisionId preconditions, PublishVersion's CodeSha256, LastUpdateStatus InProgress and the
interference control. FIDELITY.md, "Lambda UpdateFunctionCode, UpdateFunctionConfiguration and
PublishVersion"."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from conftest import fn_arn, tiny_zip
from test_lambda_code import fetch, other_zip, sha256_b64

BUCKET = "restore-archive"
STALE = ("The Revision Id provided does not match the latest Revision Id. "
         "Call the GetFunction/GetAlias API to retrieve the latest Revision Id")
BUSY = "The operation cannot be performed at this time. An update is in progress for resource: " + fn_arn("orders")


def error_of(call, **kwargs):
    with pytest.raises(ClientError) as exc:
        call(**kwargs)
    r = exc.value.response
    return r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Code"], r["Error"]["Message"], r.get("Type")


def archive(emulator, key: str = "orders/1.zip", body: bytes | None = None, region: str = "us-west-2",
            bucket: str = BUCKET) -> bytes:
    s3 = emulator.client("s3", region=region)
    body = other_zip() if body is None else body
    try:
        config = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        s3.create_bucket(Bucket=bucket, **config)
    except ClientError:
        pass  # already there
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    return body


def revision(lam, qualifier: str = "$LATEST") -> str:
    return lam.get_function(FunctionName="orders", Qualifier=qualifier)["Configuration"]["RevisionId"]


# ---------------------------------------------------------------- UpdateFunctionCode from S3

def test_code_from_s3_sets_hash_size_and_the_code_location(emulator, lam, make_function):
    make_function("orders", versions=1)
    zipped = archive(emulator)

    answer = lam.update_function_code(FunctionName="orders", S3Bucket=BUCKET, S3Key="orders/1.zip")
    got = lam.get_function(FunctionName="orders")
    published = lam.publish_version(FunctionName="orders", CodeSha256=sha256_b64(zipped))

    assert (answer["CodeSha256"], answer["CodeSize"]) == (sha256_b64(zipped), len(zipped))
    assert got["Configuration"]["CodeSha256"] == sha256_b64(zipped)
    assert fetch(got["Code"]["Location"]) == (200, zipped)
    new_version = lam.get_function(FunctionName="orders", Qualifier=published["Version"])
    assert fetch(new_version["Code"]["Location"]) == (200, zipped)
    assert fetch(lam.get_function(FunctionName="orders", Qualifier="1")["Code"]["Location"]) == (200, tiny_zip())


def test_code_from_an_s3_object_version(emulator, lam, make_function):
    make_function("orders")
    s3 = emulator.client("s3")
    archive(emulator, body=b"PK first")
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    first = s3.put_object(Bucket=BUCKET, Key="orders/1.zip", Body=other_zip())["VersionId"]
    s3.put_object(Bucket=BUCKET, Key="orders/1.zip", Body=tiny_zip())

    answer = lam.update_function_code(FunctionName="orders", S3Bucket=BUCKET, S3Key="orders/1.zip",
                                      S3ObjectVersion=first)

    assert answer["CodeSha256"] == sha256_b64(other_zip())
    assert error_of(lam.update_function_code, FunctionName="orders", S3Bucket=BUCKET, S3Key="orders/1.zip",
                    S3ObjectVersion="no-such-version")[:3] == (
        400, "InvalidParameterValueException",
        "Error occurred while GetObject. S3 Error Code: NoSuchVersion. S3 Error Message: "
        "The specified version does not exist.")


@pytest.mark.parametrize("bucket, key, message", [
    ("archive-east", "orders/1.zip", "Error occurred while GetObject. S3 Error Code: PermanentRedirect. S3 Error "
     "Message: The bucket is in this region: us-east-1. Please use this region to retry the request"),
    (BUCKET, "orders/none.zip", "Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: "
     "The specified key does not exist."),
    ("no-such-archive", "orders/1.zip", "Error occurred while GetObject. S3 Error Code: NoSuchBucket. S3 Error "
     "Message: The specified bucket does not exist"),
])
def test_an_unreadable_package_is_refused_and_changes_nothing(emulator, lam, make_function, bucket, key, message):
    make_function("orders")
    archive(emulator)
    archive(emulator, region="us-east-1", bucket="archive-east")
    before = lam.get_function(FunctionName="orders")["Configuration"]

    status, code, text, kind = error_of(lam.update_function_code, FunctionName="orders", S3Bucket=bucket, S3Key=key)

    assert (status, code, text, kind) == (400, "InvalidParameterValueException", message, "User")
    after = lam.get_function(FunctionName="orders")["Configuration"]
    assert (after["CodeSha256"], after["RevisionId"]) == (before["CodeSha256"], before["RevisionId"])


def test_package_type_must_match_the_update(emulator, lam, role_arn, make_function):
    make_function("orders")
    lam.create_function(FunctionName="img", Role=role_arn, PackageType="Image",
                        Code={"ImageUri": "123456789012.dkr.ecr.us-west-2.amazonaws.com/img:v1"})
    archive(emulator)

    assert error_of(lam.update_function_code, FunctionName="img", S3Bucket=BUCKET, S3Key="orders/1.zip")[1:3] == (
        "InvalidParameterValueException", "Please provide ImageUri when updating a function with packageType Image.")
    image = "123456789012.dkr.ecr.us-west-2.amazonaws.com/r:1"
    assert error_of(lam.update_function_code, FunctionName="orders", ImageUri=image)[1:3] == (
        "InvalidParameterValueException", "Please don't provide ImageUri when updating a function with packageType Zip.")
    assert error_of(lam.update_function_code, FunctionName="orders")[:2] == (400, "InvalidParameterValueException")


def test_dry_run_checks_the_package_and_changes_nothing(emulator, lam, make_function):
    make_function("orders")
    archive(emulator)
    before = lam.get_function(FunctionName="orders")["Configuration"]

    lam.update_function_code(FunctionName="orders", S3Bucket=BUCKET, S3Key="orders/1.zip", DryRun=True)

    after = lam.get_function(FunctionName="orders")["Configuration"]
    assert (after["CodeSha256"], after["RevisionId"]) == (before["CodeSha256"], before["RevisionId"])
    assert error_of(lam.update_function_code, FunctionName="orders", S3Bucket=BUCKET, S3Key="nope.zip",
                    DryRun=True)[1] == "InvalidParameterValueException"


# ---------------------------------------------------------------- RevisionId

def test_every_change_gives_latest_a_new_revision_id(emulator, lam, role_arn):
    created = lam.create_function(FunctionName="orders", Runtime="python3.12", Role=role_arn,
                                  Handler="app.handler", Code={"ZipFile": tiny_zip()})
    active = revision(lam)
    code = lam.update_function_code(FunctionName="orders", ZipFile=other_zip())
    after_code = revision(lam)
    config = lam.update_function_configuration(FunctionName="orders", MemorySize=512)
    after_config = revision(lam)
    version = lam.publish_version(FunctionName="orders")
    after_publish = revision(lam)

    seen = [created["RevisionId"], active, code["RevisionId"], after_code, config["RevisionId"], after_config,
            version["RevisionId"], after_publish]
    assert len(set(seen)) == len(seen) and all(seen)
    assert revision(lam) == after_publish  # reads change nothing
    assert revision(lam, "1") == version["RevisionId"]


def test_a_stale_revision_id_is_refused_by_every_change(lam, make_function):
    make_function("orders", versions=1)
    current = revision(lam)
    for call, kwargs in ((lam.update_function_code, {"ZipFile": other_zip()}),
                         (lam.update_function_configuration, {"MemorySize": 256}),
                         (lam.publish_version, {})):
        assert error_of(call, FunctionName="orders", RevisionId="stale", **kwargs) == (
            412, "PreconditionFailedException", STALE, "User")
    assert revision(lam) == current
    assert [v["Version"] for v in lam.list_versions_by_function(FunctionName="orders")["Versions"]] == ["$LATEST", "1"]

    lam.update_function_configuration(FunctionName="orders", MemorySize=256, RevisionId=current)
    assert lam.publish_version(FunctionName="orders", RevisionId=revision(lam))["MemorySize"] == 256


def test_the_revision_id_an_update_answers_is_stale_once_it_is_done(lam, make_function):
    """AWS gives $LATEST another RevisionId when the update ends: chaining the update's own
    answer into PublishVersion fails; the RevisionId read after the update works."""
    make_function("orders")
    answered = lam.update_function_code(FunctionName="orders", ZipFile=other_zip())["RevisionId"]

    assert error_of(lam.publish_version, FunctionName="orders", RevisionId=answered)[:2] == (
        412, "PreconditionFailedException")
    assert lam.publish_version(FunctionName="orders", RevisionId=revision(lam))["Version"] == "1"


# ---------------------------------------------------------------- PublishVersion

def test_publish_refuses_a_code_sha256_other_than_latest_s(lam, make_function):
    make_function("orders")
    current = lam.get_function(FunctionName="orders")["Configuration"]["CodeSha256"]
    wrong = sha256_b64(other_zip())

    assert error_of(lam.publish_version, FunctionName="orders", CodeSha256=wrong) == (
        400, "InvalidParameterValueException",
        f"CodeSHA256 ({wrong}) is different from current CodeSHA256 in $LATEST ({current}). "
        "Please try again with the CodeSHA256 in $LATEST.", "User")
    assert [v["Version"] for v in lam.list_versions_by_function(FunctionName="orders")["Versions"]] == ["$LATEST"]
    assert lam.publish_version(FunctionName="orders", CodeSha256=current)["Version"] == "1"


def test_a_version_keeps_what_latest_had_when_it_was_published(lam, make_function):
    make_function("orders")
    lam.update_function_configuration(FunctionName="orders", MemorySize=512, Description="release 1",
                                      Environment={"Variables": {"MODE": "one"}}, Handler="app.one")
    lam.publish_version(FunctionName="orders")
    lam.update_function_code(FunctionName="orders", ZipFile=other_zip())
    lam.update_function_configuration(FunctionName="orders", MemorySize=1024, Description="release 2",
                                      Environment={"Variables": {"MODE": "two"}}, Handler="app.two",
                                      Runtime="python3.13", SnapStart={"ApplyOn": "None"})

    got = lam.get_function(FunctionName="orders", Qualifier="1")
    config = got["Configuration"]
    assert (config["MemorySize"], config["Description"], config["Handler"], config["Runtime"]) == (
        512, "release 1", "app.one", "python3.12")
    assert config["Environment"] == {"Variables": {"MODE": "one"}}
    assert config["SnapStart"] == {"ApplyOn": "PublishedVersions", "OptimizationStatus": "On"}
    assert config["CodeSha256"] == sha256_b64(tiny_zip())
    assert fetch(got["Code"]["Location"]) == (200, tiny_zip())


# ---------------------------------------------------------------- LastUpdateStatus

def test_an_update_answers_in_progress_and_is_over_by_the_next_request(lam, make_function):
    make_function("orders")

    answer = lam.update_function_code(FunctionName="orders", ZipFile=other_zip())

    assert (answer["LastUpdateStatus"], answer["LastUpdateStatusReason"], answer["LastUpdateStatusReasonCode"]) == (
        "InProgress", "The function is being created.", "Creating")
    config = lam.get_function_configuration(FunctionName="orders")
    assert config["LastUpdateStatus"] == "Successful" and "LastUpdateStatusReason" not in config
    assert lam.publish_version(FunctionName="orders")["LastUpdateStatus"] == "Successful"


def test_in_progress_reads_refuse_updates_and_publishes_until_they_are_spent(emulator, lam, make_function):
    make_function("orders", versions=1)
    emulator.control("POST", "/_emulator/lambda/updates", {"update_in_progress_reads": 2})
    lam.update_function_configuration(FunctionName="orders", MemorySize=256)

    first = lam.get_function(FunctionName="orders")["Configuration"]
    assert lam.get_function(FunctionName="orders", Qualifier="1")["Configuration"]["LastUpdateStatus"] == "Successful"
    for call, kwargs in ((lam.publish_version, {}), (lam.update_function_code, {"ZipFile": other_zip()}),
                         (lam.update_function_configuration, {"MemorySize": 512})):
        assert error_of(call, FunctionName="orders", **kwargs) == (409, "ResourceConflictException", BUSY, "User")
    second = lam.get_function_configuration(FunctionName=fn_arn("orders"), Qualifier="$LATEST")
    done = lam.get_function(FunctionName="orders")["Configuration"]

    assert [first["LastUpdateStatus"], second["LastUpdateStatus"], done["LastUpdateStatus"]] == [
        "InProgress", "InProgress", "Successful"]
    assert first["RevisionId"] == second["RevisionId"] != done["RevisionId"]
    assert lam.publish_version(FunctionName="orders", RevisionId=done["RevisionId"])["MemorySize"] == 256


def test_update_settings_are_checked_and_reset(emulator):
    status, answer = emulator.call("POST", "/_emulator/lambda/updates", {"update_in_progress_read": 1})
    assert status == 400 and answer["suggestion"] == "update_in_progress_reads"
    assert emulator.call("POST", "/_emulator/lambda/updates", {"update_in_progress_reads": -1})[0] == 400
    assert emulator.control("POST", "/_emulator/lambda/updates", {"update_in_progress_reads": 3}) == {
        "update_in_progress_reads": 3}

    emulator.control("POST", "/_emulator/reset")

    assert emulator.control("GET", "/_emulator/lambda/updates") == {"update_in_progress_reads": 0}


# ---------------------------------------------------------------- interference

def test_a_concurrent_deploy_after_the_code_update_shows_up_as_a_changed_latest(emulator, lam, make_function):
    """A restore that checks $LATEST after each step sees someone else's change and can abort."""
    make_function("orders")
    zipped = archive(emulator)
    rule = emulator.control("POST", "/_emulator/lambda/interfere",
                            {"function_name": fn_arn("orders"), "after": "UpdateFunctionCode"})
    start = revision(lam)

    answer = lam.update_function_code(FunctionName="orders", S3Bucket=BUCKET, S3Key="orders/1.zip", RevisionId=start)
    now = lam.get_function(FunctionName="orders")["Configuration"]

    assert answer["Description"] == "" and now["Description"] == "changed by someone else"
    assert now["CodeSha256"] == sha256_b64(zipped) and now["LastUpdateStatus"] == "Successful"
    assert emulator.control("GET", "/_emulator/lambda/interfere") == []
    assert rule["fired"] == 0 and rule["times"] == 1


def test_interference_after_publish_and_configuration_updates(emulator, lam, make_function):
    make_function("orders")
    emulator.control("POST", "/_emulator/lambda/interfere",
                     {"function_name": "orders", "after": "PublishVersion", "times": 2, "description": "hotfix"})
    emulator.control("POST", "/_emulator/lambda/interfere",
                     {"function_name": "orders", "after": "UpdateFunctionConfiguration", "region": "eu-west-1"})

    lam.update_function_configuration(FunctionName="orders", MemorySize=256)  # other region's rule: no change
    before = lam.get_function(FunctionName="orders")["Configuration"]
    assert before["Description"] == ""
    version = lam.publish_version(FunctionName="orders", RevisionId=before["RevisionId"])

    assert version["Description"] == "" and revision(lam, "1") == version["RevisionId"]
    assert lam.get_function(FunctionName="orders")["Configuration"]["Description"] == "hotfix"
    assert lam.get_function(FunctionName="orders", Qualifier="1")["Configuration"]["Description"] == ""
    left = emulator.control("GET", "/_emulator/lambda/interfere")
    assert [(r["after"], r["times"], r["fired"]) for r in left] == [
        ("PublishVersion", 1, 1), ("UpdateFunctionConfiguration", 1, 0)]
    emulator.control("DELETE", "/_emulator/lambda/interfere")
    lam.publish_version(FunctionName="orders")
    assert lam.get_function(FunctionName="orders")["Configuration"]["Description"] == "hotfix"


def test_bad_interference_is_refused_and_reset_clears_it(emulator):
    status, answer = emulator.call("POST", "/_emulator/lambda/interfere",
                                   {"function_name": "orders", "after": "UpdateFunctionCod"})
    assert status == 400 and answer["suggestion"] == "UpdateFunctionCode"
    assert emulator.call("POST", "/_emulator/lambda/interfere", {"after": "PublishVersion"})[0] == 400
    assert emulator.call("POST", "/_emulator/lambda/interfere",
                         {"function_name": "orders", "after": "PublishVersion", "times": 0})[0] == 400
    assert emulator.call("POST", "/_emulator/lambda/interfere",
                         {"function_name": "orders", "after": "PublishVersion", "time": 1})[0] == 400
    emulator.control("POST", "/_emulator/lambda/interfere", {"function_name": "orders", "after": "PublishVersion"})

    emulator.control("POST", "/_emulator/reset")

    assert emulator.control("GET", "/_emulator/lambda/interfere") == []
