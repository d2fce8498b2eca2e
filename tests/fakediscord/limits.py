"""Discord's documented size limits, reported in Discord's own error shape.

Every check returns a nested ``errors`` dict (empty when valid) in the format Discord uses for
HTTP 400 code 50035 "Invalid Form Body", so discord.py renders it exactly as in production.
"""
from __future__ import annotations

from typing import Any

Errors = dict[str, Any]

MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_EMBED_TOTAL = 6000
MAX_FIELDS = 25
MAX_FIELD_NAME = 256
MAX_FIELD_VALUE = 1024
MAX_TITLE = 256
MAX_DESCRIPTION = 4096
MAX_FOOTER = 2048
MAX_AUTHOR = 256
MAX_ACTION_ROWS = 5
MAX_ROW_ITEMS = 5
MAX_LABEL = 80
MAX_CUSTOM_ID = 100
MAX_MODAL_TITLE = 45
MAX_TEXT_INPUT_LENGTH = 4000
MAX_TEXT_INPUT_LABEL = 45
MAX_CHOICES = 25


def _err(code: str, message: str) -> Errors:
    return {"_errors": [{"code": code, "message": message}]}


def _max_len(n: int) -> Errors:
    return _err("BASE_TYPE_MAX_LENGTH", f"Must be {n} or fewer in length.")


def _put(errors: Errors, path: list[str | int], leaf: Errors) -> None:
    node = errors
    for key in path[:-1]:
        node = node.setdefault(str(key), {})
    node[str(path[-1])] = leaf


def embed_errors(embed: dict[str, Any]) -> Errors:
    """Per-embed limits (title, description, fields, footer, author, 6000 total)."""
    errors: Errors = {}
    total = 0
    for key, limit in (("title", MAX_TITLE), ("description", MAX_DESCRIPTION)):
        text = embed.get(key) or ""
        total += len(text)
        if len(text) > limit:
            errors[key] = _max_len(limit)
    footer = (embed.get("footer") or {}).get("text") or ""
    total += len(footer)
    if len(footer) > MAX_FOOTER:
        _put(errors, ["footer", "text"], _max_len(MAX_FOOTER))
    author = (embed.get("author") or {}).get("name") or ""
    total += len(author)
    if len(author) > MAX_AUTHOR:
        _put(errors, ["author", "name"], _max_len(MAX_AUTHOR))
    fields = embed.get("fields") or []
    if len(fields) > MAX_FIELDS:
        errors["fields"] = _max_len(MAX_FIELDS)
    for i, field in enumerate(fields):
        name, value = field.get("name") or "", field.get("value") or ""
        total += len(name) + len(value)
        if not name:
            _put(errors, ["fields", i, "name"], _err("BASE_TYPE_REQUIRED", "This field is required"))
        if not value:
            _put(errors, ["fields", i, "value"], _err("BASE_TYPE_REQUIRED", "This field is required"))
        if len(name) > MAX_FIELD_NAME:
            _put(errors, ["fields", i, "name"], _max_len(MAX_FIELD_NAME))
        if len(value) > MAX_FIELD_VALUE:
            _put(errors, ["fields", i, "value"], _max_len(MAX_FIELD_VALUE))
    if total > MAX_EMBED_TOTAL and not errors:
        errors["_errors"] = [
            {"code": "MAX_EMBED_SIZE_EXCEEDED", "message": f"Embed size exceeds maximum size of {MAX_EMBED_TOTAL}"}
        ]
    return errors


def _component_errors(component: dict[str, Any]) -> Errors:
    errors: Errors = {}
    cid = component.get("custom_id")
    if cid is not None and len(cid) > MAX_CUSTOM_ID:
        errors["custom_id"] = _max_len(MAX_CUSTOM_ID)
    label = component.get("label")
    if component.get("type") == 2 and label is not None and len(label) > MAX_LABEL:
        errors["label"] = _max_len(MAX_LABEL)
    if component.get("type") == 4:
        max_length = component.get("max_length")
        if max_length is not None and max_length > MAX_TEXT_INPUT_LENGTH:
            errors["max_length"] = _err(
                "NUMBER_TYPE_MAX", f"int value should be less than or equal to {MAX_TEXT_INPUT_LENGTH}."
            )
        if label is not None and len(label) > MAX_TEXT_INPUT_LABEL:
            errors["label"] = _max_len(MAX_TEXT_INPUT_LABEL)
    return errors


def components_errors(components: list[dict[str, Any]]) -> Errors:
    """At most 5 action rows, 5 items per row; per-item limits, recursing into containers/labels."""
    errors: Errors = {}
    top_rows = [c for c in components if c.get("type") == 1]
    if len(top_rows) > MAX_ACTION_ROWS:
        errors["_errors"] = _max_len(MAX_ACTION_ROWS)["_errors"]
    for i, comp in enumerate(components):
        sub: Errors = {}
        children = comp.get("components")
        if comp.get("type") == 1 and children is not None and len(children) > MAX_ROW_ITEMS:
            sub["components"] = _max_len(MAX_ROW_ITEMS)
        elif children:
            child_errors = components_errors(children)
            if child_errors:
                sub["components"] = child_errors
        if isinstance(comp.get("component"), dict):  # type 18 label wrapper
            child = _component_errors(comp["component"])
            if child:
                sub["component"] = child
        sub.update(_component_errors(comp))
        if sub:
            errors[str(i)] = sub
    return errors


def message_errors(payload: dict[str, Any], *, partial: bool = False) -> Errors:
    """Limits for a create/edit message payload (also interaction callbacks and webhooks)."""
    errors: Errors = {}
    content = payload.get("content")
    if content is not None and len(content) > MAX_CONTENT:
        errors["content"] = _max_len(MAX_CONTENT)
    embeds = payload.get("embeds")
    if embeds is not None:
        if len(embeds) > MAX_EMBEDS:
            errors["embeds"] = _max_len(MAX_EMBEDS)
        else:
            for i, embed in enumerate(embeds):
                e = embed_errors(embed)
                if e:
                    _put(errors, ["embeds", i], e)
    components = payload.get("components")
    if components:
        e = components_errors(components)
        if e:
            errors["components"] = e
    return errors


def is_empty_message(payload: dict[str, Any], attachments: int) -> bool:
    """Discord rejects messages with nothing to show (code 50006)."""
    return not (
        payload.get("content") or payload.get("embeds") or payload.get("components")
        or payload.get("sticker_ids") or attachments or payload.get("poll")
    )


def modal_errors(data: dict[str, Any]) -> Errors:
    """A modal: title <= 45, custom_id <= 100, 1..5 rows, text inputs max_length <= 4000."""
    errors: Errors = {}
    title = data.get("title") or ""
    if len(title) > MAX_MODAL_TITLE:
        errors["title"] = _max_len(MAX_MODAL_TITLE)
    if not title:
        errors["title"] = _err("BASE_TYPE_REQUIRED", "This field is required")
    cid = data.get("custom_id") or ""
    if len(cid) > MAX_CUSTOM_ID:
        errors["custom_id"] = _max_len(MAX_CUSTOM_ID)
    components = data.get("components") or []
    if not components or len(components) > MAX_ACTION_ROWS:
        errors["components"] = _err("BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length.")
    else:
        e = components_errors(components)
        if e:
            errors["components"] = e
    return errors


def choices_errors(data: dict[str, Any]) -> Errors:
    """Autocomplete result: at most 25 choices."""
    choices = data.get("choices") or []
    if len(choices) > MAX_CHOICES:
        return {"choices": _max_len(MAX_CHOICES)}
    return {}


def command_errors(commands: list[dict[str, Any]]) -> Errors:
    """Minimal application-command validation (names, descriptions, option count)."""
    errors: Errors = {}
    for i, cmd in enumerate(commands):
        e: Errors = {}
        name = cmd.get("name") or ""
        if not 1 <= len(name) <= 32:
            e["name"] = _err("BASE_TYPE_BAD_LENGTH", "Must be between 1 and 32 in length.")
        if cmd.get("type", 1) == 1:
            if name != name.lower():
                e["name"] = _err("APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
            if len(cmd.get("description") or "") > 100:
                e["description"] = _max_len(100)
            if len(cmd.get("options") or []) > 25:
                e["options"] = _max_len(25)
        if e:
            errors[str(i)] = e
    return errors
