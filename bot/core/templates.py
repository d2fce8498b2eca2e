"""Supervisor-authored prompt templates: checked when saved, rendered through the one environment.

A supervisor's template is untrusted input that the bot will post to a group, so the check is
an allow-list over the *parsed* template (jinja2's own AST), not a regex over the source:
whatever the parser accepts that is not on the list is refused, with one short sentence per
problem (the sentences live in prompts/templates/errors.yaml).

Allowed, and nothing else:
- text (Discord formatting is fine; pings of everyone/here/roles/people/channels are not);
- the variables `week`, `date`, `group`, `topic` in `{{ ... }}`;
- `passage("claim-id")`: a call with one quoted literal naming an existing claim of the pack,
  which renders that claim verbatim with its citation (at most MAX_PASSAGES per template).
  The call form was chosen over `passages["id"]` so subscripts can be refused outright;
- the filters upper, lower, title, capitalize, trim (no arguments), default("short text")
  and truncate(small whole number).

Rendering uses `environment().from_string` (the shared sandbox with StrictUndefined) with the
Discord target, so variable values are escaped for markdown and mentions; the finished text is
checked once more for pings assembled from pieces (like `<@{{ topic }}>`).
"""
from __future__ import annotations

import re
from functools import lru_cache
from string import Template as _Msg
from typing import Any, Callable, Mapping

import yaml
from jinja2 import TemplateSyntaxError, UndefinedError, nodes

from bot.core.content import Pack, get_pack
from bot.core.render import Safe, environment, render
from bot.paths import PROMPTS_DIR

VARIABLES = ("week", "date", "group", "topic")
PASSAGE = "passage"
PLAIN_FILTERS = ("upper", "lower", "title", "capitalize", "trim")
FILTERS = PLAIN_FILTERS + ("default", "truncate")
MAX_LENGTH = 1500
MAX_PASSAGES = 3
MAX_DEFAULT = 100
MAX_TRUNCATE = 300
_MENTION = re.compile(r"@(everyone|here)|<(@[!&]?|#)\d+>")  # as Discord parses them (case-sensitive)

# Refused node types -> message key (checked in order; the first match wins).
_REFUSED: tuple[tuple[tuple[type[nodes.Node], ...], str], ...] = (
    ((nodes.For,), "loop"),
    ((nodes.Macro, nodes.CallBlock), "macro"),
    ((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends, nodes.Block), "include"),
    ((nodes.Assign, nodes.AssignBlock, nodes.With), "assign"),
    ((nodes.FilterBlock,), "filter_block"),
    ((nodes.If, nodes.CondExpr, nodes.Compare, nodes.And, nodes.Or, nodes.Not, nodes.Test), "logic"),
    ((nodes.Getattr, nodes.Getitem, nodes.Slice), "attribute"),
    ((nodes.BinExpr, nodes.Concat, nodes.UnaryExpr), "math"),
)


class TemplateRejected(ValueError):
    """A template that may not be saved or rendered; `problems` are sentences for the supervisor."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@lru_cache(maxsize=1)
def _messages() -> dict[str, str]:
    return yaml.safe_load((PROMPTS_DIR / "templates" / "errors.yaml").read_text(encoding="utf-8"))


def _say(key: str, **fields: Any) -> str:
    defaults = {
        "variables": ", ".join(VARIABLES) + ' and passage("...")', "filters": ", ".join(FILTERS),
        "limit": "", "example": "claim-id",
    }
    return _Msg(_messages()[key]).safe_substitute({**defaults, **fields})


class _Checker:
    """One walk over the parsed template, collecting problems (each sentence once)."""

    def __init__(self, pack: Pack):
        self.pack = pack
        self.problems: list[str] = []
        self.texts: list[str] = []
        self.passages = 0
        self.example = next(iter(pack.claims_by_id), "claim-id")

    def fail(self, key: str, **fields: Any) -> None:
        msg = _say(key, example=self.example, **fields)
        if msg not in self.problems:
            self.problems.append(msg)

    def statement(self, node: nodes.Node) -> None:
        if isinstance(node, nodes.Template):
            for child in node.body:
                self.statement(child)
        elif isinstance(node, nodes.Output):
            for child in node.nodes:
                if isinstance(child, nodes.TemplateData):
                    self.texts.append(child.data)
                elif isinstance(child, nodes.Const):
                    self.fail("literal")
                else:
                    self.expr(child)
        else:
            self.refuse(node)  # no statement other than text and {{ }} is allowed; not walked further

    def refuse(self, node: nodes.Node) -> None:
        for types, key in _REFUSED:
            if isinstance(node, types):
                self.fail(key)
                return
        self.fail("other", what=type(node).__name__)

    def expr(self, node: nodes.Node) -> None:
        if isinstance(node, nodes.Name):
            if node.name == PASSAGE:
                self.fail("passage_bare")
            elif node.name not in VARIABLES or node.ctx != "load":
                self.fail("unknown_name", name=node.name)
        elif isinstance(node, nodes.Filter):
            self.filter(node)
        elif isinstance(node, nodes.Call):
            self.call(node)
        elif isinstance(node, nodes.Const):
            self.fail("literal")
        else:
            self.refuse(node)
            for child in node.iter_child_nodes():
                if not isinstance(child, nodes.Const):
                    self.expr(child)

    def filter(self, node: nodes.Filter) -> None:
        name = node.name
        extra = node.kwargs or node.dyn_args or node.dyn_kwargs
        if name not in FILTERS:
            self.fail("filter", name=name)
        elif name in PLAIN_FILTERS:
            if node.args or extra:
                self.fail("filter_no_args", name=name)
        elif name == "default":
            if extra or len(node.args) != 1 or not _const(node.args[0], str) or len(node.args[0].value) > MAX_DEFAULT:
                self.fail("filter_default", limit=MAX_DEFAULT)
            elif _MENTION.search(node.args[0].value):
                self.fail("mention")
        elif name == "truncate":
            if extra or len(node.args) != 1 or not _const(node.args[0], int) or not 1 <= node.args[0].value <= MAX_TRUNCATE:
                self.fail("filter_truncate", limit=MAX_TRUNCATE)
        if node.node is not None:
            self.expr(node.node)
        for arg in list(node.args) + [k.value for k in node.kwargs]:
            if not isinstance(arg, nodes.Const):
                self.expr(arg)

    def call(self, node: nodes.Call) -> None:
        if not (isinstance(node.node, nodes.Name) and node.node.name == PASSAGE):
            self.fail("call")
            self.expr(node.node)
            for arg in list(node.args) + [k.value for k in node.kwargs]:
                if not isinstance(arg, nodes.Const):
                    self.expr(arg)
            return
        if node.kwargs or node.dyn_args or node.dyn_kwargs or len(node.args) != 1 or not _const(node.args[0], str):
            self.fail("passage_args")
            return
        claim_id = node.args[0].value
        if claim_id not in self.pack.claims_by_id:
            self.fail("unknown_claim", claim=claim_id)
        self.passages += 1


def _const(node: nodes.Node, kind: type) -> bool:
    return isinstance(node, nodes.Const) and isinstance(node.value, kind) and not isinstance(node.value, bool)


def check_template(source: str, pack: Pack | None = None) -> list[str]:
    """Problems with a supervisor's template, as sentences they can act on ([] = fine to save)."""
    if not isinstance(source, str) or not source.strip():
        return [_say("empty")]
    if len(source) > MAX_LENGTH:
        return [_say("too_long", length=len(source), limit=MAX_LENGTH)]
    try:
        source.encode("utf-8")  # a lone surrogate can be neither stored nor sent
    except UnicodeEncodeError:
        return [_say("broken_text")]
    try:
        tree = environment().parse(source)
    except TemplateSyntaxError as exc:
        return [_say("syntax", line=exc.lineno or 1)]
    checker = _Checker(pack or get_pack("ipnb"))
    checker.statement(tree)
    if checker.passages > MAX_PASSAGES:
        checker.fail("too_many_passages", limit=MAX_PASSAGES)
    if any(_MENTION.search(t) for t in checker.texts) or _MENTION.search("".join(checker.texts)):
        checker.fail("mention")
    return checker.problems


def _passage_fn(pack: Pack, target: str) -> Callable[[str], Safe]:
    def passage(claim_id: str) -> Safe:
        claim = pack.claim(claim_id)
        reference = pack.reference(int(claim.source)) if claim.cited else None
        return Safe(render("templates/passage.j2", target=target, claim=claim, reference=reference))
    return passage


def render_template(source: str, variables: Mapping[str, Any], pack: Pack | None = None,
                    target: str = "discord") -> str:
    """Render a supervisor's template; raise TemplateRejected if it does not pass the check."""
    problems = check_template(source, pack)
    if problems:
        raise TemplateRejected(problems)
    unknown = set(variables) - set(VARIABLES)
    if unknown:
        raise ValueError(f"not template variables: {', '.join(sorted(unknown))}")
    pack = pack or get_pack("ipnb")
    values = {k: str(v) for k, v in variables.items() if v is not None}
    compiled = environment().from_string(source)

    def body() -> Safe:
        return Safe(compiled.render(**values, passage=_passage_fn(pack, target)))

    try:
        # The shared render() sets the target for finalize; body() runs inside it.
        out = render("templates/supervisor.j2", target=target, body=body)
    except UndefinedError as exc:
        m = re.search(r"'([^']+)' is undefined", str(exc))
        raise TemplateRejected([_say("missing_value", name=m.group(1) if m else "?")]) from None
    if _MENTION.search(out):
        raise TemplateRejected([_say("unsafe_output")])
    return out


def template_help(target: str = "discord") -> str:
    """What a supervisor may use in a template (prompts/templates/help.j2)."""
    return render("templates/help.j2", target=target, max_passages=MAX_PASSAGES,
                  filters=", ".join(FILTERS), max_length=MAX_LENGTH)
