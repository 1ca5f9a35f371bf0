#!/usr/bin/env python3
"""Tells sse-server about database changes, as an API does after a write: one notification,
then a batch. Python 3.8+, standard library only (urllib).

    SSE_NOTIFY_URL=http://127.0.0.1:8081/notify SSE_NOTIFY_TOKEN=secret python3 notify.py

Prints the daemon's answers; exits 1 with the reason when a post is refused.
Import `notify` from this file to use it in an API (see docs/integration.md).
"""
import json
import os
import sys
import time
import urllib.error
import urllib.request


class NotifyError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status  # 0 when the daemon could not be reached


def notify(notifications, url=None, token=None, attempts=3):
    """POSTs one notification dict, or a list of them (a batch: all accepted or none).

    Returns the 202 answer: {accepted, recipients, ids} ({accepted, ids} in cluster mode).
    A 503 (Redis or the bus briefly away, or the daemon stopping) and a failed connection are
    retried; anything else raises NotifyError.
    """
    url = url or os.environ.get("SSE_NOTIFY_URL", "http://127.0.0.1:8081/notify")
    token = os.environ.get("SSE_NOTIFY_TOKEN", "") if token is None else token
    body = json.dumps(notifications, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    for attempt in range(1, attempts + 1):
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.load(response)  # urlopen returns only 2xx: here, 202
        except urllib.error.HTTPError as refused:
            text = refused.read().decode(errors="replace")
            if refused.code == 503 and attempt < attempts:
                time.sleep(_retry_after(refused.headers.get("Retry-After")))
                continue
            # 400 and 413 are bugs in the caller (the message names the field and batch
            # index), 401 a wrong or missing token: retrying would not help.
            raise NotifyError(refused.code,
                              f"sse-server answered {refused.code}: {_error_of(text)}") from None
        except (urllib.error.URLError, OSError) as failure:
            # An answer lost after the daemon took the post makes this retry deliver it
            # twice: clients should treat notifications as idempotent (they carry the row).
            if attempt >= attempts:
                reason = getattr(failure, "reason", failure)
                raise NotifyError(0, f"sse-server unreachable: {reason}") from None
            time.sleep(1)
    raise NotifyError(0, "no attempt made")


def _retry_after(header):
    try:
        return min(max(int(header), 1), 30)
    except (TypeError, ValueError):
        return 1


def _error_of(text):
    try:
        return json.loads(text).get("error", text)
    except (ValueError, AttributeError):
        return text


def main():
    one = notify({"name": "orders", "type": "update", "id": 12,
                  "data": {"id": 12, "status": "shipped"}, "origin": None})
    print("one:", json.dumps(one, separators=(",", ":")))
    batch = notify([
        {"name": "orders", "type": "create", "id": 13, "data": {"id": 13, "status": "new"}},
        {"name": "orders", "type": "delete", "id": 11},
    ])
    print("batch:", json.dumps(batch, separators=(",", ":")))


if __name__ == "__main__":
    try:
        main()
    except NotifyError as error:
        print(error, file=sys.stderr)
        sys.exit(1)
