"""Robot Framework keywords for the DingTalk robot plugin, generated from its manifest.

The plugin library (``libdingtalk_robot.so`` / ``.dylib`` / ``dingtalk_robot.dll``) is
loaded through its plain C entry points with ``ctypes``; every action of its manifest is one
keyword. See README.md beside this package.
"""

import json
import locale
import os
import time

from robot.api import logger
from robot.utils import DotDict

from ._keywords import keywords_from_manifest, localized
from ._plugin import RPA_OK, Plugin, PluginLoadError, find_library

__all__ = ["DingTalkRobotLibrary", "DingTalkRobotError", "PluginLoadError"]
__version__ = "0.2.0"

#: Plugin log levels (``RpaLogFn``: 0 error, 1 warn, 2 info, 3 debug) -> Robot Framework's.
LOG_LEVELS = {0: "ERROR", 1: "WARN", 2: "INFO", 3: "DEBUG"}
LANGUAGES = ("en", "zh-CN")


def system_language():
    """``zh-CN`` when the system's locale is Chinese, else ``en``: what the plugin itself picks
    for a host that names no language. The variables ``LC_ALL``, ``LC_MESSAGES`` and ``LANG``
    are read in that order, as the plugin reads them; without them, the user's locale (on
    Windows, for example ``Chinese (Simplified)_China``)."""
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable)
        if value:
            return "zh-CN" if value.lower().startswith("zh") else "en"
    try:
        name = locale.getlocale()[0] or ""
    except ValueError:
        name = ""
    return "zh-CN" if name.lower().startswith(("zh", "chinese")) else "en"


class DingTalkRobotError(Exception):
    """An action failed: the message is the plugin's code, message, field and hint; the
    whole error document is in :attr:`document` (and in the log).

    The facts the action gave beside its words (``details`` of the error document, such as
    ``PARTIALLY_SENT``'s ``unsentUserIds``) are :attr:`details` (a dictionary, empty when
    there are none), and each of their keys is an attribute too: ``error.unsentUserIds``.
    """

    ROBOT_SUPPRESS_NAME = True

    def __init__(self, document, language="en"):
        self.document = document if isinstance(document, dict) else {"message": str(document)}
        self.code = self.document.get("code", "ERROR")
        self.field = self.document.get("field")
        details = self.document.get("details")
        self.details = DotDict(details) if isinstance(details, dict) else DotDict()
        super().__init__(error_message(self.document, language))
        for key, value in self.details.items():
            # A key that is not a name, or that would hide one of the error's own
            # attributes (code, field, args...), stays in `details` only.
            if isinstance(key, str) and key.isidentifier() and not hasattr(self, key):
                setattr(self, key, value)


#: The words around a failure's field and hint, per language.
FAILURE_WORDS = {
    "en": {"field": " [field {field}]", "hint": " Hint: {hint}"},
    "zh-CN": {"field": " [字段 {field}]", "hint": " 提示：{hint}"},
}


def error_message(document, language="en"):
    """``CODE: message [field name] Hint: hint`` in ``language`` (English when the plugin has
    no translation): the words ``host-sim`` prints for a failure (``CODE: message [field
    name]``), then the hint."""
    words = FAILURE_WORDS.get(language, FAILURE_WORDS["en"])
    code = document.get("code", "ERROR")
    message, hint = document.get("message", ""), document.get("hint")
    translated = document.get(language) if language != "en" else None
    if isinstance(translated, dict):
        message = translated.get("message") or message
        hint = translated.get("hint") or hint
    text = f"{code}: {message}"
    if document.get("field"):
        text += words["field"].format(field=document["field"])
    if hint:
        text += words["hint"].format(hint=hint)
    return text


#: The warning for a secret field given as a plain string, per language.
PLAIN_SECRET_WORDS = {
    "en": (
        "The argument '{field}' of '{keyword}' is a secret but was given as a plain string, and "
        "Robot Framework logs plain-string arguments at TRACE level (output.xml, log.html). Pass it "
        "as a Secret (Robot Framework 7.4+), for example from an environment variable in "
        "*** Variables ***: ${{{name}: Secret}}    %{{{name}}}"
    ),
    "zh-CN": (
        "「{keyword}」的参数 {field} 是机密，却以普通字符串传入；Robot Framework 会在 TRACE "
        "级别记录普通字符串参数（output.xml、log.html）。请改用 Secret 传入（Robot Framework 7.4 "
        "及以上），例如在 *** Variables *** 中从环境变量读取：${{{name}: Secret}}    %{{{name}}}"
    ),
}


def variable_name(field):
    """``appSecret`` -> ``APP_SECRET``: the name the warning suggests for a field's variable."""
    return "".join(f"_{c}" if c.isupper() and i else c for i, c in enumerate(field)).upper()


#: The least time between two progress lines of a keyword, and before its first one.
PROGRESS_EVERY_SECONDS = 5.0


class ProgressLog:
    """Logs one keyword's progress reports at INFO and to the console, at most one line every
    :data:`PROGRESS_EVERY_SECONDS` (a keyword that ends sooner logs none)."""

    def __init__(self, clock=time.monotonic, write=None):
        self._clock = clock
        self._last = clock()
        self._write = write or (lambda line: logger.info(line, also_console=True))

    def __call__(self, done, total, text):
        now = self._clock()
        if now - self._last < PROGRESS_EVERY_SECONDS:
            return
        self._last = now
        self._write(f"{done}/{total} {text}" if total else text)


class DingTalkRobotLibrary:
    """Keywords for the ``dingtalk-robot`` plugin: one per action of its manifest."""

    ROBOT_LIBRARY_SCOPE = "GLOBAL"
    ROBOT_LIBRARY_DOC_FORMAT = "ROBOT"
    ROBOT_LIBRARY_VERSION = __version__

    def __init__(self, library_path=None, language=None):
        """Loads the plugin and makes one keyword per action of its manifest.

        - ``library_path``: the plugin library file. Left out, the library
          ``libdingtalk_robot.so`` (``.dylib`` on macOS, ``dingtalk_robot.dll`` on Windows)
          is taken from inside this package's directory, else from beside it.
        - ``language``: ``en`` or ``zh-CN``, the language of failure messages and of the
          plugin's log lines and progress. Left out, the system's: ``zh-CN`` when its locale
          (``LC_ALL``, ``LC_MESSAGES``, ``LANG``) is Chinese, else ``en``. The keyword
          documentation is always in both.

        A long keyword (a send to many, an upload, a wait for a reply) logs its progress at
        INFO, also to the console, at most one line every 5 seconds.

        | =Settings= |
        | Library | DingTalkRobotLibrary | |
        | Library | DingTalkRobotLibrary | ${CURDIR}/lib/libdingtalk_robot.so | language=zh-CN |
        """
        language = language or system_language()
        if language not in LANGUAGES:
            raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {language!r}")
        self.language = language
        #: The error the last keyword raised, or None when it passed: how a suite reads a
        #: failure's details (``${lib.last_error.unsentUserIds}``), since ``EXCEPT ... AS``
        #: gives only its message.
        self.last_error = None
        # (action id, field) of the secret fields already warned about as plain strings.
        self._warned_plain_secrets = set()
        self.plugin = Plugin(find_library(library_path))
        try:
            self.keywords = keywords_from_manifest(self.plugin.manifest)
        except (KeyError, TypeError, ValueError) as e:
            raise PluginLoadError(f"The manifest of {self.plugin.path} cannot make keywords: {e}") from None

    # The dynamic library API.

    def get_keyword_names(self):
        return list(self.keywords)

    def get_keyword_arguments(self, name):
        return self.keywords[name].argument_spec()

    def get_keyword_documentation(self, name):
        if name == "__intro__":
            return self._intro()
        if name == "__init__":
            return None  # the docstring of __init__
        return self.keywords[name].documentation()

    def get_keyword_tags(self, name):
        return self.keywords[name].tags()

    def run_keyword(self, name, args, kwargs=None):
        self.last_error = None
        keyword = self.keywords[name]
        self._warn_plain_secrets(keyword, args, kwargs)
        params = keyword.params(args, kwargs)
        status, document = self.plugin.invoke(
            keyword.action_id,
            params,
            self._log,
            self._interrupted,
            language=self.language,
            progress=ProgressLog(),
        )
        if status == RPA_OK:
            return DotDict(document) if isinstance(document, dict) else document
        self._log_error_document(document)
        self.last_error = DingTalkRobotError(document, self.language)
        raise self.last_error

    # Helpers.

    def _warn_plain_secrets(self, keyword, args, kwargs):
        """Warns once per secret field (and library instance) given as a plain string."""
        for field in keyword.plain_secrets(args, kwargs):
            seen = (keyword.action_id, field.name)
            if seen in self._warned_plain_secrets:
                continue
            self._warned_plain_secrets.add(seen)
            words = PLAIN_SECRET_WORDS.get(self.language, PLAIN_SECRET_WORDS["en"])
            logger.warn(words.format(field=field.name, keyword=keyword.name, name=variable_name(field.name)))

    def _log(self, level, line):
        logger.write(line, LOG_LEVELS.get(level, "INFO"))

    def _log_error_document(self, document):
        logger.info("Error document:\n" + json.dumps(document, ensure_ascii=False, indent=2))

    def _interrupted(self, answer):
        """The keyword was stopped (timeout, stop signal) and the plugin was told to cancel."""
        if answer is None:
            logger.warn("The plugin did not stop in time after the cancellation; its call was abandoned.")
            return
        status, document = answer
        if status == RPA_OK:
            logger.info("The action finished before the cancellation reached it; its outputs were dropped.")
        else:
            logger.info("The plugin stopped: " + error_message(document, self.language))
            self._log_error_document(document)

    def _intro(self):
        manifest = self.plugin.manifest
        name_en = localized(manifest.get("name"), "en")
        name_zh = localized(manifest.get("name"), "zh-CN")
        rows = "\n".join(
            f"| {kw.name} | ``{kw.action_id}`` | {localized(kw.action.get('title'), 'zh-CN')} |"
            for kw in self.keywords.values()
        )
        return INTRO.format(
            name_en=name_en,
            name_zh=name_zh,
            id=manifest.get("id", "?"),
            version=manifest.get("version", "?"),
            path=self.plugin.path,
            rows=rows,
        )


INTRO = """\
Keywords for the plugin *{name_en}* (``{id}`` {version}), loaded from ``{path}``.

Every keyword is one action of the plugin's manifest, made when the library is imported:
a plugin with a new action has a new keyword, with no change to this library.

| =Keyword= | =Action= | =中文= |
{rows}

= Arguments =

The action's required fields are positional arguments, in the order of the designer's
form, and so is the first field of each "at least one of" group (``userIds`` of
``userIds``/``mobiles``: give ``${{EMPTY}}`` there to send by ``mobiles=`` only). The other
fields, those a template shows only for itself (``linkUrl``, ``buttons``, ``coverImage``)
included, are named-only arguments (``name=value``) with the defaults of the manifest; one
left at ``None`` is not sent, and the plugin applies its own default. Text
given to a field that is not text (``timeoutSeconds=5``, ``userIds=["a","b"]``) is read as
JSON. A secret field (``appSecret``, ``webhookUrl``, ``secret``) takes a Robot Framework
``Secret`` (Robot Framework 7.4+), which keeps it out of the log:
``${{APP_SECRET: Secret}}    %{{APP_SECRET}}`` in ``*** Variables ***``. It also takes a plain
string, but Robot Framework logs plain-string arguments at TRACE level, so the library warns
once per field when it gets one. A field that takes an object made by another action (such
as ``robot``) also accepts that action's whole output dictionary.

= Return value =

A dictionary of the action's outputs: ``${{result}}[robot]`` or ``${{result.robot}}``.

= Failures =

A failed action fails the keyword with ``CODE: message [field name] Hint: hint``, the words
``host-sim`` prints (``CODE`` is the plugin's stable error code, such as ``INVALID_INPUT``;
``[field name]`` names the argument at fault, when there is one); the whole error document
(Chinese text, DingTalk's own answer, details) is logged before the failure.

The error's ``details`` (such as ``unsentUserIds`` of ``PARTIALLY_SENT``, whose hint says to
run the step again with only them) are attributes of the raised error: ``error.details`` and
each key, ``error.unsentUserIds``. ``EXCEPT ... AS`` gives only the message; the library
keeps the error as ``last_error`` until its next keyword:

| ${{lib}}=    Get Library Instance    DingTalkRobotLibrary
| Send Single-Chat Message    ${{ROBOT}}    ${{lib.last_error.unsentUserIds}}    text    Hello

= Logging =

The plugin's log lines go to the Robot Framework log at their own level (ERROR, WARN,
INFO, DEBUG). The plugin never logs secrets.

= Timeouts and stopping =

When a Robot Framework timeout expires or execution is stopped (Ctrl-C, a stop signal)
while an action runs, the plugin's cancellation callback answers yes: the action stops at
once with the plugin's ``CANCELLED`` error (logged), and the keyword fails with Robot
Framework's own timeout or stop message.

= 中文说明 =

插件 *{name_zh}* 的关键字：清单中的每个动作对应一个关键字。必填字段为位置参数，其余字段为命名参数
（``名称=值``），默认值取自清单。机密字段请以 ``Secret`` 传入；以普通字符串传入时会写入 TRACE
日志，库会给出一次警告。关键字返回输出字典；失败时报错信息为插件的错误码、说明、出错字段和提示，
完整的错误文档写入日志；错误的 details（如 ``unsentUserIds``）是所抛出错误的属性，也可从库实例的
``last_error`` 读取。插件日志按级别写入 Robot Framework 日志；超时或停止执行时会通知插件取消。
"""
