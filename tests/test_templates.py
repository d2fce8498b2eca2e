"""Supervisor templates: every attack refused with a clear sentence and never rendered."""
from __future__ import annotations

import pytest

from bot.core import templates
from bot.core.content import get_pack
from bot.core.render import environment
from bot.core.templates import (
    MAX_LENGTH, TemplateRejected, check_template, render_template, template_help,
)

PACK = get_pack("ipnb")
CLAIM = next(c for c in PACK.claims_by_id.values() if c.cited)
UNCITED = next(c for c in PACK.claims_by_id.values() if not c.cited)
VALUES = {"week": "2026-W48", "date": "Tuesday 24 November", "group": "Tuesday group", "topic": "rupture and repair"}

ATTACKS = {
    "class walk": ("{{ ''.__class__.__mro__ }}", "Dots and brackets"),
    "subscript": ("{{ topic['__class__'] }}", "Dots and brackets"),
    "attr filter": ("{{ topic|attr('__class__') }}", "filter 'attr' is not allowed"),
    "cycler globals": ("{{ cycler.__init__.__globals__ }}", "Dots and brackets"),
    "cycler name": ("{{ cycler.__init__.__globals__ }}", "'cycler' is not something"),
    "undefined": ("{{ foo }}", "'foo' is not something a template can use"),
    "self": ("{{ self }}", "'self' is not something"),
    "other call": ("{{ lipsum(10**6) }}", 'Only passage("...") can be called'),
    "range call": ("{{ range(10) }}", 'Only passage("...") can be called'),
    "pow mul": ("{{ 'a'*10**8 }}", "Arithmetic"),
    "concat": ("{{ topic ~ topic }}", "Arithmetic"),
    "plus": ("{{ week + date }}", "Arithmetic"),
    "center": ("{{ 'x'|center(10**8) }}", "filter 'center' is not allowed"),
    "format": ("{{ topic|format(1) }}", "filter 'format' is not allowed"),
    "nested loops": ("{% for a in range(99) %}{% for b in range(99) %}x{% endfor %}{% endfor %}", "Loops"),
    "recursive macro": ("{% macro m(n) %}{{ m(n) }}{% endmacro %}{{ m(1) }}", "Macros"),
    "call block": ("{% call topic() %}x{% endcall %}", "Macros"),
    "set": ("{% set x = 'a' %}{{ x }}", "Setting values"),
    "set block": ("{% set x %}a{% endset %}", "Setting values"),
    "with": ("{% with x = 1 %}{{ x }}{% endwith %}", "Setting values"),
    "include": ("{% include 'cli/no_token.j2' %}", "Using other templates"),
    "import": ("{% import 'cli/no_token.j2' as t %}", "Using other templates"),
    "from import": ("{% from 'x' import y %}", "Using other templates"),
    "extends": ("{% extends 'cli/no_token.j2' %}", "Using other templates"),
    "block": ("{% block b %}x{% endblock %}", "Using other templates"),
    "filter block": ("{% filter upper %}x{% endfilter %}", "Filter blocks"),
    "if": ("{% if topic %}x{% endif %}", "Conditions"),
    "compare": ("{{ topic == 'x' }}", "Conditions"),
    "everyone": ("Hello @everyone, {{ topic }}", "Pings"),
    "here": ("@here reflect on {{ topic }}", "Pings"),
    "role": ("<@&123> please reflect", "Pings"),
    "user": ("<@123> please reflect", "Pings"),
    "nick user": ("<@!123> please reflect", "Pings"),
    "channel": ("see <#123>", "Pings"),
    "split ping": ("@every{{ topic }}one", "Pings"),
    "ping in default": ("{{ topic|default('@here') }}", "Pings"),
    "unknown claim": ('{{ passage("no-such-claim") }}', "There is no passage with the id 'no-such-claim'"),
    "passage variable arg": ("{{ passage(topic) }}", "passage() takes exactly one passage id"),
    "passage two args": ('{{ passage("a", "b") }}', "passage() takes exactly one passage id"),
    "passage kwarg": ('{{ passage(id="a") }}', "passage() takes exactly one passage id"),
    "bare passage": ("{{ passage }}", "passage needs a passage id"),
    "passages subscript": ('{{ passages["x"] }}', "Dots and brackets"),
    "literal": ("{{ 'just text' }}", "Quoted text and numbers"),
    "big truncate": ("{{ topic|truncate(100000) }}", "truncate needs one whole number"),
    "truncate expr": ("{{ topic|truncate(10**3) }}", "truncate needs one whole number"),
    "default var": ("{{ topic|default(group) }}", "default needs one short piece of text"),
    "long default": ("{{ topic|default('" + "x" * 200 + "') }}", "default needs one short piece of text"),
    "upper arg": ("{{ topic|upper(1) }}", "does not take anything in brackets"),
    "syntax": ("{{ topic ", "could not be read"),
    "too long": ("x" * (MAX_LENGTH + 1), f"the limit is {MAX_LENGTH}"),
    "empty": ("   ", "empty"),
    "too many passages": (" ".join(['{{ passage("%s") }}' % CLAIM.id] * 4), "at most 3 passages"),
}


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_attack_refused_with_clear_message_and_never_rendered(name, monkeypatch):
    source, expected = ATTACKS[name]
    problems = check_template(source)
    assert any(expected in p for p in problems), problems
    for p in problems:  # short sentences, no jinja internals
        assert p.endswith(".") and len(p) < 200 and "Traceback" not in p and "jinja" not in p.lower()

    env = environment()
    compiled: list[str] = []
    monkeypatch.setattr(env, "from_string", lambda *a, **k: compiled.append(a[0]))
    with pytest.raises(TemplateRejected) as exc:
        render_template(source, VALUES)
    assert exc.value.problems == problems
    assert compiled == []


def test_problems_are_listed_once_each():
    problems = check_template("{{ foo }} {{ foo }} {{ ''.a }} {{ ''.b }}")
    assert len(problems) == len(set(problems)) == 2


def test_good_template_renders():
    source = (
        "**Week {{ week }}** ({{ date }}), {{ group|title }}\n"
        "This week: {{ topic|default('an open theme')|capitalize }}\n"
        '{{ passage("%s") }}\n{{ passage("%s") }}' % (CLAIM.id, UNCITED.id)
    )
    assert check_template(source) == []
    out = render_template(source, VALUES)
    assert out.startswith("**Week 2026\\-W48** (Tuesday 24 November), Tuesday Group")
    assert "This week: Rupture and repair" in out
    ref = PACK.reference(int(CLAIM.source))
    assert CLAIM.text.split()[0] in out and ref.title.split()[0] in out and f"[{CLAIM.source}]" in out
    assert "uncited" in out


def test_values_are_escaped_for_discord():
    out = render_template("Group: {{ group }} / {{ topic }}", {**VALUES, "group": "@everyone", "topic": "**bold** <@123>"})
    assert "@everyone" not in out and "<@123>" not in out
    assert "\\*\\*bold\\*\\*" in out
    assert "@\u200beveryone" in out


def test_filter_cannot_unescape():
    out = render_template("{{ group|lower }}", {"group": "@EVERYONE"})
    assert "@everyone" not in out


def test_ping_assembled_from_text_and_a_value_is_refused_after_rendering():
    source = "<@{{ topic }}>"
    assert check_template(source) == []  # nothing wrong with the template on its own
    with pytest.raises(TemplateRejected, match="ping"):
        render_template(source, {"topic": "123"})
    assert render_template(source, {"topic": "rupture"}) == "<@rupture>"


def test_default_fills_a_missing_value_and_a_missing_one_is_explained():
    assert render_template("{{ topic|default('an open theme') }}", {}) == "an open theme"
    with pytest.raises(TemplateRejected, match="'topic', which has no value here"):
        render_template("Theme: {{ topic }}", {"week": "2026-W48"})


def test_unknown_variable_from_caller_is_a_programming_error():
    with pytest.raises(ValueError, match="not template variables"):
        render_template("{{ week }}", {"weeek": "x"})


def test_markdown_in_the_supervisors_text_is_kept():
    assert render_template("**Reflect** on _{{ topic }}_", VALUES) == "**Reflect** on _rupture and repair_"


def test_plain_target_does_not_escape():
    assert render_template("{{ group }}", {"group": "a*b"}, target="plain") == "a*b"


def test_help_lists_the_variables_without_pinging():
    text = template_help()
    for name in ("{{ week }}", "{{ date }}", "{{ group }}", "{{ topic }}", 'passage("claim-id")'):
        assert name in text
    assert not templates._MENTION.search(text)
