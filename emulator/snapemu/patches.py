"""Apply all moto patches exactly once (Lambda, CloudWatch, SNS capture)."""

from __future__ import annotations

import time
from typing import Any

from moto.sns.models import Topic

from . import cloudwatch, code, lambda_patches, lambda_updates
from .state import LOCK, STATE

_installed = False
_orig_topic_publish = Topic.publish


def _topic_publish(self: Topic, message: str, subject: str | None = None, *args: Any,
                   **kwargs: Any) -> str:
    message_id = _orig_topic_publish(self, message, subject, *args, **kwargs)
    # Recorded by us (not read back from moto) so the control API can list
    # every topic's messages in publish order with a timestamp.
    with LOCK:
        STATE.sns_messages.append({
            "topic_arn": self.arn,
            "subject": subject,
            "message": message,
            "message_id": message_id,
            "ts": time.time(),
        })
    return message_id


def install() -> None:
    global _installed
    if _installed:
        return
    lambda_patches.install()
    lambda_updates.install()
    code.install()
    cloudwatch.install()
    Topic.publish = _topic_publish
    _installed = True
