"""Default paths and test credentials for the suites, as Robot Framework variables.

Every value can be overridden on the command line (``--variable PLUGIN:/path/...``), which
takes precedence over this file. Without an override, the newest build under the
repository's cargo target directory (``$CARGO_TARGET_DIR`` or ``target/``) is used.
"""

import os
import sys
from pathlib import Path

try:
    from robot.api.types import Secret  # Robot Framework 7.4+
except ImportError:  # pragma: no cover
    Secret = str

REPO = Path(__file__).resolve().parents[4]
BINDINGS = REPO / "bindings" / "robotframework"


def _target_dir():
    return Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")


def _newest(*candidates):
    found = [p for p in candidates if p.is_file()]
    return str(max(found, key=lambda p: p.stat().st_mtime)) if found else ""


def _lib(stem):
    if sys.platform.startswith("win"):
        return f"{stem}.dll"
    return f"lib{stem}.dylib" if sys.platform == "darwin" else f"lib{stem}.so"


def get_variables():
    target = _target_dir()
    exe = ".exe" if sys.platform.startswith("win") else ""
    profiles = [target / "debug", target / "release"]
    return {
        # The plugin under test and the emulator binary (cargo build --workspace).
        "PLUGIN": _newest(*(d / _lib("dingtalk_robot") for d in profiles)),
        "EMULATOR": _newest(*(d / f"dingtalk-emulator{exe}" for d in profiles)),
        # The three-action fixture plugin (host-sim/tests/fixtures/three-actions-plugin),
        # where tests/robot_framework.rs builds it.
        "FIXTURE_PLUGIN": _newest(target / "tmp" / "robotframework" / "fixtures" / "debug" / _lib("three_actions_plugin")),
        "FIXTURE_MANIFEST": str(REPO / "host-sim" / "tests" / "fixtures" / "three-actions-plugin" / "manifest.json"),
        "PLUGIN_MANIFEST": str(REPO / "plugin.json"),
        "BINDINGS": str(BINDINGS),
        # The emulated org's app. The secret must never show in any log or output.
        "APP_KEY": "dingrfappkey01",
        "APP_SECRET": Secret("S3cret-RF-Never-Print-Me-20261125"),
    }
