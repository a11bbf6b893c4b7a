"""Keywords that run ``dingtalk-emulator`` (the fake DingTalk open platform) as a separate
process and read or steer it through its admin endpoints under ``/_emulator/``."""

import json
import signal
import subprocess
import sys
import urllib.request

from robot.api import logger

try:
    from robot.api.types import Secret
except ImportError:  # pragma: no cover - Robot Framework before 7.4
    Secret = None


def _die_with_parent():
    """Linux: the emulator gets SIGTERM when the robot process dies, however it dies."""
    import ctypes

    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _text(value):
    return value.value if Secret is not None and isinstance(value, Secret) else str(value)


class EmulatorLibrary:
    ROBOT_LIBRARY_SCOPE = "SUITE"

    def __init__(self, executable):
        self.executable = executable
        self.process = None
        self.url = None

    def start_emulator(self, app_key, app_secret, users, flow_controlled=""):
        """Starts the emulator with one app and the given users (comma-separated) and
        returns its base URL. The secret may be a ``Secret``."""
        if not self.executable:
            raise AssertionError(
                "No dingtalk-emulator binary: build it (cargo build -p dingtalk-emulator) or give --variable EMULATOR:PATH"
            )
        self.stop_emulator()
        args = [self.executable, "--port", "0", "--app-key", app_key, "--app-secret", _text(app_secret)]
        args += ["--users", users, "--flow-controlled", flow_controlled, "--qps-limit", "0"]
        self.process = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
        line = self.process.stdout.readline().strip()
        prefix = "listening on "
        if not line.startswith(prefix):
            self.process.kill()
            raise AssertionError(f"the emulator did not start: {line!r} {self.process.stderr.read()}")
        self.url = line[len(prefix):]
        logger.info(f"emulator at {self.url}")
        return self.url

    def stop_emulator(self):
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.process = None

    def _admin(self, path, body=None, method=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}/_emulator/{path}", data=data, method=method or ("POST" if data else "GET"),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read().decode())

    def emulator_stats(self):
        """``{tokenRequests, batchSendRequests, messages, uploads, throttled}``."""
        return self._admin("stats")

    def delivered_messages(self):
        """Every delivery: ``{processQueryKey, robotCode, msgKey, msgParam, userIds, ...}``."""
        return self._admin("delivered")

    def recorded_requests(self):
        """The requests the emulator saw, access tokens masked (this suite's log is checked
        for tokens too)."""
        return [dict(r, accessToken="<redacted>" if r.get("accessToken") else None) for r in self._admin("requests")]

    def requests_to(self, endpoint):
        """The recorded requests to one endpoint (``token``, ``batchSend``, ...)."""
        return [r for r in self.recorded_requests() if r.get("endpoint") == endpoint]

    def slow_down_next_send(self, seconds):
        """The next batchSend is delivered, then answered only after ``seconds``."""
        rule = {"endpoint": "batchSend", "fault": "delay", "delayMs": int(float(seconds) * 1000), "times": 1}
        self._admin("faults", rule)

    def refuse_the_send_after_the_next_one(self):
        """The next batchSend goes through; the one after it is refused before DingTalk
        processes it (IP not on the allow-list). The first matching rule wins, so the
        first rule (a 1 ms delay: delivered and answered as usual) takes the next send."""
        self._admin("faults", {"endpoint": "batchSend", "fault": "delay", "delayMs": 1, "times": 1})
        self._admin("faults", {"endpoint": "batchSend", "fault": "ipNotAllowed", "times": 1})

    def clear_faults(self):
        self._admin("faults", method="DELETE")

    def save_emulator_requests(self, path):
        """Writes the recorded requests (access tokens included) to ``path``, for the
        caller's check that no token reached any log."""
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self._admin("requests"), f)
