"""What the official-SDK checks share (sdk_check.py, card_sdk_check.py): reporting a check,
steering the emulator through its admin endpoint, and expecting the SDK to be refused."""

import json
import sys
import urllib.request


def fail(msg):
    print(f"FAIL: {msg}")
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)
    print(f"ok: {msg}")


def admin(port, path, body):
    """Steers the emulator (marks a message as read, takes a permission away) through its
    admin endpoint."""
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/_emulator/{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.load(resp)


def refused_with(call, code, what, status=None):
    """Expects `call` to be refused with DingTalk's `code` (and, when given, the HTTP
    `status`); returns the SDK's exception."""
    try:
        call()
        fail(f"{what} was accepted")
    except Exception as e:  # TeaException
        got = getattr(e, "code", None)
        if status is None:
            check(got == code, f"{what} -> {got}")
        else:
            data = getattr(e, "data", None) or {}
            check(got == code and data.get("statusCode") == status, f"{what} -> HTTP {data.get('statusCode')} {got}")
        return e
