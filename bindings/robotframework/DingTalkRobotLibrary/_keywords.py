"""Keywords from a plugin manifest: names, argument specs, documentation, and how a
keyword's arguments become the action's params. Nothing here names an action or a field:
every keyword comes from the manifest alone."""

import json
from collections.abc import Mapping

try:  # Robot Framework 7.4+: values that stay out of the log.
    from robot.api.types import Secret
except ImportError:  # pragma: no cover - older Robot Framework
    Secret = None


def localized(value, lang="en"):
    """``value[lang]`` of a ``{"zh-CN": ..., "en": ...}`` text, falling back to English,
    then to any language; a plain string as is."""
    if isinstance(value, Mapping):
        for key in (lang, "en"):
            if value.get(key):
                return str(value[key])
        return next((str(v) for v in value.values() if v), "")
    return "" if value is None else str(value)


def keyword_name(title):
    """``Send single-chat message`` -> ``Send Single-Chat Message``: each word (and each
    part of a hyphenated word) starts with a capital; the rest is kept (``DingTalk``)."""
    return " ".join("-".join(p[:1].upper() + p[1:] for p in word.split("-")) for word in title.split())


class Field:
    """One input field of an action."""

    def __init__(self, spec, tab):
        self.name = spec["name"]
        self.spec = spec
        self.tab = tab
        self.required = bool(spec.get("required"))
        self.schema = spec.get("schema") or {}
        types = self.schema.get("type", [])
        self.types = [types] if isinstance(types, str) else list(types)
        self.has_default = "default" in self.schema
        self.default = self.schema.get("default")
        self.secret = self.schema.get("format") == "password" or bool(self.schema.get("writeOnly"))

    def to_param(self, value):
        """The value a keyword got, as the plugin expects it."""
        if Secret is not None and isinstance(value, Secret):
            value = value.value
        if isinstance(value, str) and self.types and "string" not in self.types:
            # Robot Framework passes literal arguments as text: `timeoutSeconds=5`,
            # `userIds=["a","b"]`. Text that is not JSON goes as is, for the plugin to judge.
            try:
                value = json.loads(value)
            except ValueError:
                pass
        handle_type = self.schema.get("x-rpa-type")
        if handle_type and isinstance(value, Mapping) and "type" not in value:
            # The whole output dictionary of the action that made the handle, e.g. the one
            # "Create DingTalk Robot Connection" returns: take its field of the same name.
            inner = value.get(self.name)
            if isinstance(inner, Mapping) and inner.get("type") == handle_type:
                value = inner
        return value


class Keyword:
    """One action of the manifest as a Robot Framework keyword."""

    def __init__(self, action, plugin_manifest):
        self.action_id = action["id"]
        self.action = action
        self.plugin = plugin_manifest
        self.name = keyword_name(localized(action.get("title")) or self.action_id)
        inputs = action.get("inputs") or {}
        fields = [Field(f, "basic") for f in inputs.get("basic", [])]
        fields += [Field(f, "advanced") for f in inputs.get("advanced", [])]
        # Positional: the fields every call fills in: the required ones and the basic tab's
        # choices with a default (``msgType``: not required, since left out it is ``text``,
        # but every call says which template it sends). A field shown only while another
        # field holds some value (visibleWhen: a template's own field) is named, and so is
        # every field of an "at least one of" group but its first (``userIds`` of
        # userIds/mobiles, which may be given empty when the others are filled).
        firsts = {group[0] for group in inputs.get("atLeastOneOf") or [] if group}
        every_call = lambda f: f.required or (f.tab == "basic" and f.has_default)  # noqa: E731
        self.positional = [
            f for f in fields if (every_call(f) and not f.spec.get("visibleWhen")) or f.name in firsts
        ]
        self.named = [f for f in fields if f not in self.positional]
        self.fields = {f.name: f for f in fields}
        self.outputs = action.get("outputs") or []

    def argument_spec(self):
        """The dynamic API's argument list: required fields positional in form order, the
        others named-only with their schema defaults (None = not sent)."""
        spec = [f.name for f in self.positional]
        if self.named:
            spec.append("*")
            spec += [(f.name, f.default if f.has_default else None) for f in self.named]
        return spec

    def params(self, args, kwargs):
        """The action's params from a call's arguments. Optional arguments left at None
        are not sent: the plugin applies its own defaults."""
        params = {}
        for field, value in zip(self.positional, args):
            if value in (None, "") and not field.required:
                continue  # an optional positional (first of a group) given empty: not sent
            params[field.name] = field.to_param(value)
        for name, value in (kwargs or {}).items():
            field = self.fields.get(name)
            if value is None and field is not None and field not in self.positional:
                continue
            params[name] = field.to_param(value) if field else value
        return params

    def plain_secrets(self, args, kwargs):
        """The secret fields given a non-empty plain string (not a ``Secret``), which Robot
        Framework itself logs at TRACE level."""
        given = list(zip(self.positional, args))
        given += [(self.fields[name], value) for name, value in (kwargs or {}).items() if name in self.fields]
        return [field for field, value in given if field.secret and isinstance(value, str) and value.strip()]

    def tags(self):
        return [self.action_id]

    def documentation(self):
        en = self._doc("en")
        zh = self._doc("zh-CN")
        return f"{en}\n\n{zh}" if zh else en

    def _doc(self, lang):
        words = WORDS[lang]
        title = localized(self.action.get("title"), lang)
        description = localized(self.action.get("description"), lang)
        if lang != "en" and not _has_lang(self.action.get("title"), lang):
            return ""
        lines = []
        if lang != "en":
            # Robot Framework's inline markup (*bold*, ``code``) needs spaces or ASCII
            # punctuation around it, which Chinese text has none of: keep it apart.
            lines.append(f"*{title}*")
            lines.append("")
        lines.append(description)
        lines.append("")
        lines.append(f"*{words['arguments']}*")
        lines.append("")
        for field in self.positional + self.named:
            lines.append("- " + self._field_line(field, lang))
        if not self.positional and not self.named:
            lines.append(f"- {words['none']}")
        lines.append("")
        lines.append(f"*{words['returns']}*")
        lines.append("")
        for out in self.outputs:
            label = localized(out.get("label"), lang)
            help_text = localized(out.get("help"), lang)
            lines.append(f"- ``{out['name']}`` ({label}){words['colon']}{help_text}")
        if not self.outputs:
            lines.append(f"- {words['none']}")
        lines.append("")
        lines.append(words["action"].format(id=self.action_id, plugin=self.plugin.get("id", "?")))
        return "\n".join(lines)

    def _field_line(self, field, lang):
        words = WORDS[lang]
        kind = words["required"] if field.required else words["optional"]
        if field.tab == "advanced":
            kind += words["sep"] + words["advanced"]
        label = localized(field.spec.get("label"), lang)
        help_text = localized(field.spec.get("help"), lang)
        facts = _schema_facts(field, lang)
        text = f"``{field.name}`` ({label}; {kind}){words['colon']}{help_text}"
        if facts:
            text += f" {words['open']}{words['sep'].join(facts)}{words['close']}"
        return text


def _has_lang(value, lang):
    return isinstance(value, Mapping) and bool(value.get(lang))


WORDS = {
    "en": {
        "arguments": "Arguments",
        "returns": "Returns a dictionary",
        "required": "required",
        "optional": "optional",
        "advanced": "advanced",
        "none": "none",
        "colon": ": ",
        "sep": ", ",
        "open": "(",
        "close": ")",
        "action": "Runs action ``{id}`` of plugin ``{plugin}``.",
        "types": {
            "string": "text",
            "integer": "integer",
            "number": "number",
            "boolean": "true or false",
            "array": "list",
            "object": "object",
            "null": "empty",
        },
        "or": " or ",
        "handle": "a ``{t}`` object",
        "one_of": "one of {choices}",
        "range": "{lo} to {hi}",
        "at_least": "at least {lo}",
        "at_most": "at most {hi}",
        "chars": "{n} characters",
        "items": "{n} items",
        "url": "a URL",
        "secret": "secret: pass a ``Secret`` to keep it out of Robot Framework's log",
        "default": "default ``{v}``",
        "when": "used only when ``{field}`` is {values}",
    },
    "zh-CN": {
        "arguments": "参数",
        "returns": "返回字典",
        "required": "必填",
        "optional": "可选",
        "advanced": "高级",
        "none": "无",
        "colon": "：",
        "sep": ", ",
        "open": "(",
        "close": ")",
        "action": "运行插件 ``{plugin}`` 的动作 ``{id}``",
        "types": {
            "string": "文本",
            "integer": "整数",
            "number": "数字",
            "boolean": "真或假",
            "array": "列表",
            "object": "对象",
            "null": "空",
        },
        "or": "或",
        "handle": "``{t}`` 对象",
        "one_of": "可选值 {choices}",
        "range": "{lo} 到 {hi}",
        "at_least": "至少 {lo}",
        "at_most": "最多 {hi}",
        "chars": "{n} 个字符",
        "items": "{n} 项",
        "url": "网址",
        "secret": "机密：请传入 ``Secret``，以免出现在 Robot Framework 日志中",
        "default": "默认 ``{v}``",
        "when": "仅当 ``{field}`` 为 {values} 时使用",
    },
}


def _bounds(schema, lo_key, hi_key, words, unit=None):
    lo, hi = schema.get(lo_key), schema.get(hi_key)
    if lo is None and hi is None:
        return None
    if lo is not None and hi is not None:
        text = words["range"].format(lo=lo, hi=hi)
    elif lo is not None:
        text = words["at_least"].format(lo=lo)
    else:
        text = words["at_most"].format(hi=hi)
    return words[unit].format(n=text) if unit else text


def _schema_facts(field, lang):
    words = WORDS[lang]
    schema = field.schema
    facts = []
    if schema.get("x-rpa-type"):
        facts.append(words["handle"].format(t=schema["x-rpa-type"]))
    elif field.types:
        facts.append(words["or"].join(words["types"].get(t, t) for t in field.types))
    choices = field.spec.get("choices")
    if choices:
        shown = [f"``{c['value']}`` ({localized(c.get('label'), lang)})" for c in choices]
        facts.append(words["one_of"].format(choices=words["sep"].join(shown)))
    elif schema.get("enum"):
        facts.append(words["one_of"].format(choices=words["sep"].join(f"``{v}``" for v in schema["enum"])))
    for bound in (
        _bounds(schema, "minimum", "maximum", words),
        _bounds(schema, "minLength", "maxLength", words, "chars"),
        _bounds(schema, "minItems", "maxItems", words, "items"),
    ):
        if bound:
            facts.append(bound)
    if schema.get("format") == "uri":
        facts.append(words["url"])
    if field.secret:
        facts.append(words["secret"])
    if field.has_default and field.tab == "basic":
        facts.append(words["default"].format(v=field.default))
    for other, values in (field.spec.get("visibleWhen") or {}).items():
        shown = words["or"].join(f"``{v}``" for v in values)
        facts.append(words["when"].format(field=other, values=shown))
    return facts


def keywords_from_manifest(manifest):
    """Every action of the manifest as a :class:`Keyword`, keyed by keyword name."""
    keywords = {}
    seen = {}
    for action in manifest.get("actions", []):
        if not isinstance(action, Mapping) or not action.get("id"):
            raise ValueError(f"the manifest has an action without an id: {action!r}")
        keyword = Keyword(action, manifest)
        # Robot Framework matches keyword names ignoring case, spaces and underscores.
        normalized = keyword.name.lower().replace(" ", "").replace("_", "")
        clash = seen.get(normalized)
        if clash is not None:
            raise ValueError(
                f"actions {clash.action_id} and {keyword.action_id} would both be the keyword "
                f"'{keyword.name}': their English titles must differ"
            )
        seen[normalized] = keyword
        keywords[keyword.name] = keyword
    return keywords


def markdown_table(manifest, language="en"):
    """The keyword table of the README (``language="en"``) or of README.zh-CN.md
    (``"zh-CN"``, with each keyword's action as the designer names it in Chinese), made from
    the manifest by the rules the library itself uses: keyword name, arguments (positional,
    then named-only after ``*`` with their defaults) and what it returns."""
    def code(value):
        return f"`{value}`"

    zh = language == "zh-CN"
    if zh:
        rows = ["| 关键字 | 对应动作 | 参数（`*` 之后的只能按名称传入） | 返回 |", "|---|---|---|---|"]
    else:
        rows = ["| Keyword | Arguments (after `*`: named-only) | Returns |", "|---|---|---|"]
    for name, keyword in keywords_from_manifest(manifest).items():
        args = []
        for item in keyword.argument_spec():
            if isinstance(item, tuple):
                args.append(code(f"{item[0]}={item[1]}"))
            else:
                args.append(code(item))
        returns = ", ".join(code(o["name"]) for o in keyword.outputs) or ("无" if zh else "nothing")
        if zh:
            title = localized(keyword.action.get("title"), "zh-CN") or keyword.action_id
            rows.append(f"| {name} | {title} | {', '.join(args)} | {returns} |")
        else:
            rows.append(f"| {name} | {', '.join(args)} | {returns} |")
    return "\n".join(rows) + "\n"
