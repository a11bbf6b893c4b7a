"""The plugin's plain C entry points (``include/dingtalk_robot.h``), through ctypes.

Nothing here knows about DingTalk or Robot Framework: it loads a library that exports
``rpa_plugin_abi_version``, ``rpa_plugin_manifest``, ``rpa_plugin_invoke`` and
``rpa_plugin_free`` and runs its actions; when the library also has ``rpa_plugin_invoke_with``
(ABI 1.1), its calls carry the caller's language and receive progress reports.
"""

import ctypes
import json
import queue
import sys
import threading
import time
from pathlib import Path

#: The JSON contract version this package understands (``abiVersion`` in the manifest).
SUPPORTED_ABI_VERSION = 1

RPA_OK = 0
RPA_ERROR = 1
RPA_INVALID_ARGUMENT = 2

#: How long a cancelled call may take to come back before the caller stops waiting for it.
CANCEL_GRACE_SECONDS = 10.0

LOG_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p)
CANCELLED_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)
PROGRESS_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_uint64, ctypes.c_char_p)


class RpaHost(ctypes.Structure):
    """``struct RpaHost`` from ``include/dingtalk_robot.h``."""

    _fields_ = [("user_data", ctypes.c_void_p), ("log", LOG_FN), ("is_cancelled", CANCELLED_FN)]


class RpaInvokeOptions(ctypes.Structure):
    """``struct RpaInvokeOptions`` from ``include/dingtalk_robot.h`` (ABI 1.1)."""

    _fields_ = [("size", ctypes.c_size_t), ("language", ctypes.c_char_p), ("progress", PROGRESS_FN)]


class PluginLoadError(RuntimeError):
    """The library is missing, not loadable, or not a plugin this package understands."""


def default_file_name(stem="dingtalk_robot"):
    """The file name cargo gives a cdylib named ``stem`` on this platform."""
    if sys.platform.startswith("win"):
        return f"{stem}.dll"
    if sys.platform == "darwin":
        return f"lib{stem}.dylib"
    return f"lib{stem}.so"


def find_library(explicit=None):
    """``explicit`` when given; else the library inside this package's directory, else the
    one beside the package directory."""
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise PluginLoadError(f"The plugin library {path} does not exist.")
        return path.resolve()
    package_dir = Path(__file__).resolve().parent
    candidates = [package_dir / default_file_name(), package_dir.parent / default_file_name()]
    for path in candidates:
        if path.is_file():
            return path
    tried = ", ".join(str(p) for p in candidates)
    raise PluginLoadError(
        f"No plugin library found (looked for {tried}). Put {default_file_name()} beside the "
        "package or give its path when importing the library: "
        "Library    DingTalkRobotLibrary    /path/to/" + default_file_name()
    )


class Plugin:
    """One loaded plugin library and its manifest."""

    def __init__(self, path):
        self.path = Path(path)
        try:
            lib = ctypes.CDLL(str(self.path))
        except OSError as e:
            raise PluginLoadError(f"Cannot load the plugin library {self.path}: {e}") from None
        try:
            lib.rpa_plugin_abi_version.restype = ctypes.c_uint32
            lib.rpa_plugin_abi_version.argtypes = []
            # c_void_p, not c_char_p: the very pointer must go back to rpa_plugin_free.
            lib.rpa_plugin_manifest.restype = ctypes.c_void_p
            lib.rpa_plugin_manifest.argtypes = []
            lib.rpa_plugin_invoke.argtypes = [
                ctypes.c_char_p,
                ctypes.c_char_p,
                ctypes.POINTER(RpaHost),
                ctypes.POINTER(ctypes.c_void_p),
            ]
            lib.rpa_plugin_invoke.restype = ctypes.c_int
            lib.rpa_plugin_free.argtypes = [ctypes.c_void_p]
            lib.rpa_plugin_free.restype = None
        except AttributeError as e:
            raise PluginLoadError(
                f"{self.path} is not a plugin with the plain C entry points "
                f"(rpa_plugin_abi_version, rpa_plugin_manifest, rpa_plugin_invoke, rpa_plugin_free): {e}"
            ) from None
        # ABI 1.1: the language and the progress callback; an older library lacks it.
        self._invoke_with = getattr(lib, "rpa_plugin_invoke_with", None)
        if self._invoke_with is not None:
            self._invoke_with.argtypes = [
                ctypes.c_char_p,
                ctypes.c_char_p,
                ctypes.POINTER(RpaHost),
                ctypes.POINTER(RpaInvokeOptions),
                ctypes.POINTER(ctypes.c_void_p),
            ]
            self._invoke_with.restype = ctypes.c_int
        self._lib = lib
        self.abi_version = lib.rpa_plugin_abi_version()
        if self.abi_version != SUPPORTED_ABI_VERSION:
            raise PluginLoadError(
                f"{self.path} speaks plugin ABI version {self.abi_version}; this library "
                f"understands version {SUPPORTED_ABI_VERSION}."
            )
        text = self._take(lib.rpa_plugin_manifest())
        try:
            self.manifest = json.loads(text) if text is not None else None
        except ValueError as e:
            raise PluginLoadError(f"The manifest of {self.path} is not JSON: {e}") from None
        if not isinstance(self.manifest, dict) or not isinstance(self.manifest.get("actions"), list):
            raise PluginLoadError(f"The manifest of {self.path} has no list of actions.")
        if self.manifest.get("abiVersion") != self.abi_version:
            raise PluginLoadError(
                f"The manifest of {self.path} says abiVersion {self.manifest.get('abiVersion')!r} "
                f"but the library reports {self.abi_version}."
            )

    def _take(self, ptr):
        """The text of a string the plugin returned, released back to the plugin."""
        if not ptr:
            return None
        try:
            return ctypes.string_at(ptr).decode("utf-8", "replace")
        finally:
            self._lib.rpa_plugin_free(ptr)

    def invoke(self, action_id, params, log, on_interrupted=None, language="", progress=None):
        """Runs one action and returns ``(status, document)``: the outputs when status is
        ``RPA_OK``, else the error document.

        With a library that has ``rpa_plugin_invoke_with``, the plugin writes its log lines in
        ``language`` (``zh-CN`` or ``en``; empty: the system's), and its progress reports go to
        ``progress(done, total, text)`` (on this thread too) when given.

        The call runs on a worker thread while this thread waits, relays the plugin's log
        lines to ``log(level, line)`` (always on this thread) and stays interruptible: when
        an exception reaches the waiting thread (a Robot Framework timeout or stop signal,
        a KeyboardInterrupt), the plugin's ``is_cancelled`` callback starts answering yes
        and the call gets :data:`CANCEL_GRACE_SECONDS` to come back. Then its remaining log
        lines go to ``log``, its answer ``(status, document)`` (or None if it did not come
        back) to ``on_interrupted``, and the exception is raised again.
        """
        params_json = json.dumps(params, ensure_ascii=False, default=str).encode("utf-8")
        cancel = threading.Event()
        done = threading.Event()
        lines = queue.SimpleQueue()
        answer = {}

        def on_log(_user_data, level, message):
            lines.put((level, message.decode("utf-8", "replace") if message else ""))

        def is_cancelled(_user_data):
            return 1 if cancel.is_set() else 0

        def on_progress(_user_data, done_, total, text):
            lines.put((None, (done_, total, text.decode("utf-8", "replace") if text else "")))

        log_fn = LOG_FN(on_log)
        cancelled_fn = CANCELLED_FN(is_cancelled)
        host = RpaHost(None, log_fn, cancelled_fn)
        progress_fn = PROGRESS_FN(on_progress) if progress is not None else PROGRESS_FN()
        options = RpaInvokeOptions(
            ctypes.sizeof(RpaInvokeOptions), (language or "").encode("utf-8"), progress_fn
        )

        def work():
            out = ctypes.c_void_p()
            try:
                # host, options and the callbacks live as long as this closure runs.
                if self._invoke_with is not None:
                    status = self._invoke_with(
                        action_id.encode("utf-8"),
                        params_json,
                        ctypes.byref(host),
                        ctypes.byref(options),
                        ctypes.byref(out),
                    )
                else:
                    status = self._lib.rpa_plugin_invoke(
                        action_id.encode("utf-8"), params_json, ctypes.byref(host), ctypes.byref(out)
                    )
                answer["result"] = (status, self._take(out.value))
            except BaseException as e:  # noqa: BLE001 - handed to the waiting thread
                answer["error"] = e
            finally:
                done.set()

        def relay():
            while True:
                try:
                    level, line = lines.get_nowait()
                except queue.Empty:
                    return
                if level is None:
                    progress(*line)
                else:
                    log(level, line)

        worker = threading.Thread(target=work, name=f"rpa-invoke {action_id}", daemon=True)
        worker.start()
        interrupted = None
        give_up_at = None
        while not done.is_set():
            try:
                done.wait(0.02)
                relay()
            except BaseException as e:  # noqa: BLE001 - re-raised below
                if interrupted is not None:
                    raise  # a second stop: do not wait for the plugin any longer
                interrupted = e
                cancel.set()
                give_up_at = time.monotonic() + CANCEL_GRACE_SECONDS
            if give_up_at is not None and time.monotonic() > give_up_at:
                break
        relay()
        if interrupted is not None:
            if on_interrupted is not None:
                on_interrupted(_parse(*answer["result"]) if "result" in answer else None)
            raise interrupted
        if "error" in answer:
            raise answer["error"]
        return _parse(*answer["result"])


def _parse(status, text):
    """``(status, document)`` from the plugin's status and answer text."""
    if text is None:
        return RPA_ERROR, {"code": "INTERNAL", "message": f"The plugin gave no answer (status {status})."}
    try:
        return status, json.loads(text)
    except ValueError as e:
        return RPA_ERROR, {"code": "INTERNAL", "message": f"The plugin's answer is not JSON ({e})."}
