"""The wheel's build hook: the plugin library inside the package is built for one OS and
CPU, so the wheel is tagged ``py3-none-<this platform>`` (not ``any``), and a wheel without
the library is refused (``cargo xtask dist`` puts it there)."""

import sysconfig
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

#: The plugin library's file name on Linux, macOS and Windows.
LIBRARIES = ("libdingtalk_robot.so", "libdingtalk_robot.dylib", "dingtalk_robot.dll")


class PlatformWheelHook(BuildHookInterface):
    """Tags the wheel for this platform once the library is found in the package."""

    def initialize(self, version, build_data):
        if self.target_name != "wheel":
            return
        package = Path(self.root) / "DingTalkRobotLibrary"
        if not any((package / name).is_file() for name in LIBRARIES):
            raise RuntimeError(
                f"No plugin library in {package} (looked for {', '.join(LIBRARIES)}): "
                "build the wheel with `cargo xtask dist`, which puts it there."
            )
        build_data["pure_python"] = False
        build_data["tag"] = "py3-none-" + sysconfig.get_platform().replace("-", "_").replace(".", "_")
