"""S3's ExpectedBucketOwner: a bucket of another account refuses the write (moto ignores it)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from conftest import ACCOUNT

OTHER = "111111111111"


def test_expected_bucket_owner_is_checked_on_writes(emulator):
    mine = emulator.client("s3")
    theirs = emulator.client("s3", credentials=emulator.assume(OTHER))
    mine.create_bucket(Bucket="my-audit", CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    theirs.create_bucket(Bucket="their-audit", CreateBucketConfiguration={"LocationConstraint": "us-west-2"})

    mine.put_object(Bucket="my-audit", Key="r.json", Body=b"{}", ExpectedBucketOwner=ACCOUNT)
    mine.put_object(Bucket="their-audit", Key="r.json", Body=b"{}")  # no header: not checked
    with pytest.raises(ClientError) as exc:
        mine.put_object(Bucket="their-audit", Key="r.json", Body=b"{}", ExpectedBucketOwner=ACCOUNT)

    assert exc.value.response["Error"]["Code"] == "AccessDenied"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
