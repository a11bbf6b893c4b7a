"""Robot Framework keywords for the DingTalk robot plugin, generated from its manifest.

The plugin library (``libdingtalk_robot.so`` / ``.dylib`` / ``dingtalk_robot.dll``) is
loaded through its plain C entry points with ``ctypes``; every action of its manifest is one
keyword. See README.md beside this package.
"""

import json

from robot.api import logger
from robot.utils import DotDict

from ._keywords import keywords_from_manifest, localized
from ._plugin import RPA_OK, Plugin, PluginLoadError, find_library

__all__ = ["DingTalkRobotLibrary", "DingTalkRobotError", "PluginLoadError"]
__version__ = "0.1.0"

#: Plugin log levels (``RpaLogFn``: 0 error, 1 warn, 2 info, 3 debug) -> Robot Framework's.
LOG_LEVELS = {0: "ERROR", 1: "WARN", 2: "INFO", 3: "DEBUG"}
LANGUAGES = ("en", "zh-CN")


class DingTalkRobotError(Exception):
    """An action failed: the message is the plugin's code, message and hint; the whole
    error document is in :attr:`document` (and in the log)."""

    ROBOT_SUPPRESS_NAME = True

    def __init__(self, document, language="en"):
        self.document = document if isinstance(document, dict) else {"message": str(document)}
        self.code = self.document.get("code", "ERROR")
        self.field = self.document.get("field")
        super().__init__(error_message(self.document, language))


def error_message(document, language="en"):
    """``CODE: message Hint: hint`` in ``language`` (English when the plugin has no
    translation)."""
    code = document.get("code", "ERROR")
    message, hint = document.get("message", ""), document.get("hint")
    translated = document.get(language) if language != "en" else None
    if isinstance(translated, dict):
        message = translated.get("message") or message
        hint = translated.get("hint") or hint
    text = f"{code}: {message}"
    if hint:
        text += f" 提示：{hint}" if language == "zh-CN" else f" Hint: {hint}"
    return text


class DingTalkRobotLibrary:
    """Keywords for the ``dingtalk-robot`` plugin: one per action of its manifest."""

    ROBOT_LIBRARY_SCOPE = "GLOBAL"
    ROBOT_LIBRARY_DOC_FORMAT = "ROBOT"
    ROBOT_LIBRARY_VERSION = __version__

    def __init__(self, library_path=None, language="en"):
        """Loads the plugin and makes one keyword per action of its manifest.

        - ``library_path``: the plugin library file. Left out, the library
          ``libdingtalk_robot.so`` (``.dylib`` on macOS, ``dingtalk_robot.dll`` on Windows)
          is taken from inside this package's directory, else from beside it.
        - ``language``: ``en`` (default) or ``zh-CN``, the language of failure messages.
          The keyword documentation is always in both.

        | =Settings= |
        | Library | DingTalkRobotLibrary | |
        | Library | DingTalkRobotLibrary | ${CURDIR}/lib/libdingtalk_robot.so | language=zh-CN |
        """
        if language not in LANGUAGES:
            raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {language!r}")
        self.language = language
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
        keyword = self.keywords[name]
        params = keyword.params(args, kwargs)
        status, document = self.plugin.invoke(keyword.action_id, params, self._log, self._interrupted)
        if status == RPA_OK:
            return DotDict(document) if isinstance(document, dict) else document
        self._log_error_document(document)
        raise DingTalkRobotError(document, self.language)

    # Helpers.

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
JSON. A secret field takes a plain string or, better, a Robot Framework ``Secret``
(Robot Framework 7.4+), which keeps it out of the log. A field that takes an object made by
another action (such as ``robot``) also accepts that action's whole output dictionary.

= Return value =

A dictionary of the action's outputs: ``${{result}}[robot]`` or ``${{result.robot}}``.

= Failures =

A failed action fails the keyword with ``CODE: message Hint: hint`` (``CODE`` is the
plugin's stable error code, such as ``INVALID_INPUT``); the whole error document (field,
Chinese text, DingTalk's own answer) is logged before the failure.

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
（``名称=值``），默认值取自清单。关键字返回输出字典；失败时报错信息为插件的错误码、说明和提示，
完整的错误文档写入日志。插件日志按级别写入 Robot Framework 日志；超时或停止执行时会通知插件取消。
"""
