#!/usr/bin/env python3
"""Load libdingtalk_robot through its plain C entry points with nothing but ctypes.

This is how a designer written in Python (or anything with a C FFI) uses the plugin:
read the manifest, then run "connect" and "send single-chat message".

    python3 dingtalk_ctypes.py --lib target/release/libdingtalk_robot.so \
        --base-url http://127.0.0.1:PORT --app-key KEY --app-secret SECRET --users u1,u2

Prints one JSON object: {"actions": [...ids], "robot": {...}, "send": {...outputs}}.
Exits 1 with the plugin's error document on stderr when an action fails.
"""

import argparse
import ctypes
import json
import sys

RPA_OK = 0

LOG_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p)
CANCELLED_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)


class RpaHost(ctypes.Structure):
    """struct RpaHost from include/dingtalk_robot.h."""

    _fields_ = [("user_data", ctypes.c_void_p), ("log", LOG_FN), ("is_cancelled", CANCELLED_FN)]


class Plugin:
    """The plugin's four C functions, with the plugin owning every string it returns."""

    def __init__(self, path):
        lib = ctypes.CDLL(path)
        lib.rpa_plugin_abi_version.restype = ctypes.c_uint32
        # c_void_p, not c_char_p: we must hand the very pointer back to rpa_plugin_free.
        lib.rpa_plugin_manifest.restype = ctypes.c_void_p
        lib.rpa_plugin_invoke.argtypes = [
            ctypes.c_char_p,
            ctypes.c_char_p,
            ctypes.POINTER(RpaHost),
            ctypes.POINTER(ctypes.c_void_p),
        ]
        lib.rpa_plugin_invoke.restype = ctypes.c_int
        lib.rpa_plugin_free.argtypes = [ctypes.c_void_p]
        lib.rpa_plugin_free.restype = None
        self.lib = lib
        self.logs = []
        # Keep the callbacks alive as long as the host struct is used.
        self._log = LOG_FN(lambda _user, level, msg: self.logs.append((level, msg.decode("utf-8"))))
        self._cancelled = CANCELLED_FN(lambda _user: 0)
        self.host = RpaHost(None, self._log, self._cancelled)

    def _take(self, ptr):
        try:
            return ctypes.string_at(ptr).decode("utf-8")
        finally:
            self.lib.rpa_plugin_free(ptr)

    def abi_version(self):
        return self.lib.rpa_plugin_abi_version()

    def manifest(self):
        return json.loads(self._take(self.lib.rpa_plugin_manifest()))

    def invoke(self, action, params):
        out = ctypes.c_void_p()
        status = self.lib.rpa_plugin_invoke(
            action.encode("utf-8"),
            json.dumps(params).encode("utf-8"),
            ctypes.byref(self.host),
            ctypes.byref(out),
        )
        return status, json.loads(self._take(out))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lib", required=True)
    ap.add_argument("--base-url", required=True)
    ap.add_argument("--app-key", required=True)
    ap.add_argument("--app-secret", required=True)
    ap.add_argument("--users", required=True)
    args = ap.parse_args()

    plugin = Plugin(args.lib)
    manifest = plugin.manifest()
    assert manifest["abiVersion"] == plugin.abi_version()

    status, connect = plugin.invoke(
        "dingtalk.robot.connect",
        {"appKey": args.app_key, "appSecret": args.app_secret,
         "apiBaseUrl": args.base_url, "oapiBaseUrl": args.base_url},
    )
    if status != RPA_OK:
        print(json.dumps(connect, ensure_ascii=False), file=sys.stderr)
        return 1
    status, sent = plugin.invoke(
        "dingtalk.robot.send_single_chat",
        {"robot": connect["robot"], "userIds": args.users.split(","), "msgType": "text",
         "content": "Hello from Python ctypes"},
    )
    if status != RPA_OK:
        print(json.dumps(sent, ensure_ascii=False), file=sys.stderr)
        return 1
    for level, line in plugin.logs:
        print(f"[{level}] {line}", file=sys.stderr)
    print(json.dumps({"actions": [a["id"] for a in manifest["actions"]],
                      "robot": connect["robot"], "send": sent}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
