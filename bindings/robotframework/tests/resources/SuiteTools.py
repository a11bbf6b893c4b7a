"""Keywords the suites use to look at Robot Framework itself: run a suite in a child
``robot`` (for failures a test cannot catch, such as a timeout or a stop signal), capture
the log messages keywords emit, generate libdoc output, and import the library from a copy
of the package."""

import fnmatch
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from robot.api import ExecutionResult, ResultVisitor, logger
from robot.utils import DotDict

TESTS = Path(__file__).resolve().parents[1]
BINDINGS = TESTS.parent
#: Child runs and libdoc import the library from the source tree, unless the suite tests the
#: installed wheel (``DINGTALK_RF_INSTALLED=1``, tests/robot_framework.rs): then from the
#: environment, as the parent run does.
PYTHONPATH = [] if os.environ.get("DINGTALK_RF_INSTALLED") == "1" else ["--pythonpath", str(BINDINGS)]


class _Messages(ResultVisitor):
    def __init__(self):
        self.messages = []

    def visit_message(self, msg):
        self.messages.append((msg.level, msg.message))


class SuiteTools:
    ROBOT_LIBRARY_SCOPE = "GLOBAL"
    ROBOT_LISTENER_API_VERSION = 3

    def __init__(self):
        self.ROBOT_LIBRARY_LISTENER = self
        self.captured = []

    # Capturing what keywords log (this library is its own listener).

    def log_message(self, message):
        self.captured.append((message.level, message.message))

    def clear_captured_log(self):
        self.captured = []

    def captured_messages(self, level):
        """The messages logged at ``level`` since `Clear Captured Log`, oldest first."""
        return [text for lvl, text in self.captured if lvl == level]

    def captured_log_should_contain(self, level, pattern):
        """Fails unless a message at ``level`` matching the glob ``pattern`` was logged
        since `Clear Captured Log`."""
        for lvl, text in self.captured:
            if lvl == level and fnmatch.fnmatchcase(text, pattern):
                return text
        shown = "\n".join(f"{lvl} {text}" for lvl, text in self.captured)
        raise AssertionError(f"no {level} message matching {pattern!r} among:\n{shown}")

    # A child robot.

    def _command(self, suite, test, outdir, variables):
        cmd = [sys.executable, "-m", "robot", *PYTHONPATH, "--outputdir", str(outdir)]
        cmd += ["--log", "NONE", "--report", "NONE", "--loglevel", "DEBUG", "--console", "quiet", "--test", test]
        for name, value in variables.items():
            cmd += ["--variable", f"{name}:{value}"]
        return cmd + [str(TESTS / "nested" / suite)]

    def start_nested_suite(self, suite, test, outdir, **variables):
        """Starts ``tests/nested/<suite>`` in a child ``robot`` running only ``test``."""
        Path(outdir).mkdir(parents=True, exist_ok=True)
        cmd = self._command(suite, test, outdir, variables)
        logger.info(" ".join(cmd))
        process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        return DotDict(process=process, outdir=str(outdir), test=test, started=time.monotonic())

    def send_stop_signal(self, run):
        """Sends SIGINT, as Ctrl-C does, to the child ``robot``."""
        run.process.send_signal(signal.SIGINT)
        run.stopped = time.monotonic()

    def wait_for_nested_suite(self, run, timeout=60):
        """Waits for the child ``robot`` and returns what its one test did:
        ``status``, ``message``, ``elapsed`` (seconds, from output.xml), ``wall`` (seconds
        from start, or from the stop signal when one was sent), ``messages`` (level, text)
        and the exit code ``rc``."""
        try:
            out, _ = run.process.communicate(timeout=float(timeout))
        except subprocess.TimeoutExpired:
            run.process.kill()
            raise AssertionError(f"the child robot did not finish within {timeout} s")
        wall = time.monotonic() - run.get("stopped", run.started)
        logger.info(f"child robot exit code {run.process.returncode}, output:\n{out}")
        result = ExecutionResult(os.path.join(run.outdir, "output.xml"))
        tests = [t for t in result.suite.all_tests if t.name == run.test]
        if len(tests) != 1:
            raise AssertionError(f"the child ran {len(tests)} tests named {run.test!r}")
        test = tests[0]
        visitor = _Messages()
        test.visit(visitor)
        return DotDict(
            status=test.status,
            message=test.message,
            elapsed=test.elapsed_time.total_seconds(),
            wall=wall,
            messages=visitor.messages,
            rc=run.process.returncode,
        )

    def run_nested_suite(self, suite, test, outdir, **variables):
        return self.wait_for_nested_suite(self.start_nested_suite(suite, test, outdir, **variables))

    def messages_should_contain(self, messages, level, pattern):
        """Fails unless ``messages`` (level, text) has one at ``level`` matching ``pattern``."""
        for lvl, text in messages:
            if lvl == level and fnmatch.fnmatchcase(text, pattern):
                return text
        shown = "\n".join(f"{lvl} {text}" for lvl, text in messages)
        raise AssertionError(f"no {level} message matching {pattern!r} among:\n{shown}")

    # Libdoc.

    def generate_libdoc(self, library, outdir, name="DingTalkRobotLibrary"):
        """Runs ``libdoc`` on ``library`` (``Name::arg``) into ``<outdir>/<name>.html`` and
        ``.json`` (documentation left raw), and returns the JSON spec."""
        Path(outdir).mkdir(parents=True, exist_ok=True)
        spec = None
        for ext in ("html", "json"):
            path = Path(outdir) / f"{name}.{ext}"
            cmd = [sys.executable, "-m", "robot.libdoc", *PYTHONPATH]
            if ext == "json":
                cmd += ["--specdocformat", "RAW"]  # the documentation as the library wrote it
            cmd += [library, str(path)]
            done = subprocess.run(cmd, capture_output=True, text=True)
            if done.returncode != 0:
                raise AssertionError(f"libdoc failed ({done.returncode}): {done.stdout}{done.stderr}")
            logger.info(f"libdoc wrote {path}")
            if ext == "json":
                spec = json.loads(path.read_text(encoding="utf-8"))
        return spec

    def read_json_file(self, path):
        return json.loads(Path(path).read_text(encoding="utf-8"))

    # The package found beside the library file.

    def import_from_package_copy(self, plugin, place):
        """Copies the package to a scratch directory with ``plugin`` placed ``inside`` the
        package directory or ``beside`` it (or ``nowhere``), imports the library there with
        no path in a child Python, and returns ``{path, keywords}`` or ``{error}``."""
        scratch = Path(tempfile.mkdtemp(prefix="rf-package-"))
        try:
            package = scratch / "DingTalkRobotLibrary"
            shutil.copytree(BINDINGS / "DingTalkRobotLibrary", package, ignore=shutil.ignore_patterns("__pycache__"))
            target = {"inside": package, "beside": scratch, "nowhere": None}[place]
            if target is not None:
                shutil.copy(plugin, target / Path(plugin).name)
            code = (
                "import json\n"
                "from DingTalkRobotLibrary import DingTalkRobotLibrary\n"
                "try:\n"
                "    lib = DingTalkRobotLibrary()\n"
                "    print(json.dumps({'path': str(lib.plugin.path), 'keywords': lib.get_keyword_names()}))\n"
                "except Exception as e:\n"
                "    print(json.dumps({'error': str(e)}))\n"
            )
            env = dict(os.environ, PYTHONPATH=str(scratch))
            done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=scratch)
            if done.returncode != 0:
                raise AssertionError(f"the child Python failed: {done.stdout}{done.stderr}")
            answer = json.loads(done.stdout)
            if "path" in answer:
                answer["path"] = str(Path(answer["path"]).relative_to(scratch.resolve()))
            return DotDict(answer)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def readme_keyword_table_should_be_current(self, manifest_path):
        """Fails unless each README's keyword table (between its ``keywords`` markers: the
        English README.md and the Chinese README.zh-CN.md) is the one the library makes from
        the manifest. ``UPDATE_README=1`` rewrites them."""
        sys.path.insert(0, str(BINDINGS))
        from DingTalkRobotLibrary._keywords import markdown_table

        manifest = json.loads(Path(manifest_path).read_text(encoding="utf-8"))
        for file, language in (("README.md", "en"), ("README.zh-CN.md", "zh-CN")):
            readme = BINDINGS / file
            text = readme.read_text(encoding="utf-8")
            begin, end = "<!-- keywords:begin -->\n", "<!-- keywords:end -->"
            head, rest = text.split(begin, 1)
            _, tail = rest.split(end, 1)
            want = head + begin + markdown_table(manifest, language) + end + tail
            if os.environ.get("UPDATE_README"):
                readme.write_text(want, encoding="utf-8")
            elif want != text:
                raise AssertionError(f"bindings/robotframework/{file}'s keyword table is stale: "
                                     "run the suite with UPDATE_README=1")
