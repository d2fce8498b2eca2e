"""Bad input into every engine path that takes text: the flow keeps the whole answer (scrubbed on
save), every output renders for the terminal and for Discord without interpreting a template
payload, and nothing typed is lost or silently cut."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from bot.config import ConfigError, load_config
from bot.core import journal
from bot.core.flow import CLOSING, Event, Preview, Say, State
from bot.core.privacy import scrub
from bot.core.reflection import ReflectionService
from bot.core.render import render
from bot.core.split import MESSAGE, split_text
from bot.store import open_store
from tests.hardening.conftest import private
from tests.hardening.payloads import PAYLOADS

OWNER = "u_hardeningowner"


def rendered(outputs) -> list[str]:
    """Every output rendered for both targets (any exception fails the test)."""
    out = []
    for o in outputs:
        if not o.template:
            continue
        for target in ("plain", "discord"):
            out.append(render(o.template, target=target, **o.context()))
    return out


def assert_not_interpreted(texts: list[str], payload: str) -> None:
    for t in texts:
        if "{{ 7*7 }}" in payload or "${7*7}" in payload:
            assert "49" not in t, t[:300]
            assert "<class" not in t


def assert_discord_inert(outputs) -> None:
    for o in outputs:
        if o.template:
            t = render(o.template, target="discord", **o.context())
            assert "@everyone" not in t and "@here" not in t, t[:300]
            assert "<@1" not in t and "<@&1" not in t and "<@!1" not in t and "<#1" not in t, t[:300]


@pytest.fixture
async def service(tmp_path):
    async with open_store(data_dir=tmp_path, env={}) as store:
        yield ReflectionService(store)


@pytest.mark.parametrize("name", list(PAYLOADS))
async def test_answer_kept_whole_and_rendered_inert(service, name):
    payload = PAYLOADS[name]
    private(payload)
    store = service.store
    t = await service.start(OWNER, case="A.B.")
    t = await service.handle(OWNER, t.session_id, Event("consent", "A.B."))
    t = await service.handle(OWNER, t.session_id, Event("answer", payload))
    texts = rendered(t.outputs)
    assert_not_interpreted(texts, payload)
    # the raw answer is kept whole in the (encrypted) session, exactly as typed (minus edge spaces)
    session = await store.get_session(OWNER, t.session_id)
    assert State.from_dict(session.state).answers["q1"] == payload.strip()
    # the preview holds the whole scrubbed answer
    t = await service.handle(OWNER, t.session_id, Event("finish"))
    assert t.phase == CLOSING
    preview = next(o for o in t.outputs if isinstance(o, Preview))
    expected = scrub(payload.strip()).text
    assert preview.items[0]["answer"] == expected
    assert_not_interpreted(rendered(t.outputs), payload)
    assert_discord_inert(t.outputs)
    # split to Discord's limit: no part too long, and nothing lost but boundary whitespace
    plain = render(preview.template, target="discord", **preview.context())
    parts = split_text(plain, MESSAGE)
    assert all(len(p) <= MESSAGE for p in parts)
    assert "".join("".join(parts).split()) == "".join(plain.split())
    # saved: the journal holds exactly the scrubbed answer, and export returns it
    t = await service.handle(OWNER, t.session_id, Event("save"))
    assert [type(o).__name__ for o in t.outputs] == ["Saved"]
    [entry] = await store.list_entries(OWNER)
    assert entry.answers["q1"] == expected
    assert expected in entry.text
    exported = await journal.export(store, OWNER, "json", datetime.now(timezone.utc))
    doc = json.loads(exported)
    assert doc["entries"][0]["answers"]["q1"] == expected
    if "{{ 7*7 }}" in payload:
        assert "49" not in doc["entries"][0]["text"]
    md = await journal.export(store, OWNER, "md", datetime.now(timezone.utc))
    assert "".join(expected.split())[:500] in "".join(md.split())


@pytest.mark.parametrize("blank", ["", " ", "\n\n", "\t \u3000", "\u200b"])
async def test_empty_and_whitespace_answers_get_a_reply_and_change_nothing(service, blank):
    t = await service.start(OWNER)
    t = await service.handle(OWNER, t.session_id, Event("consent"))
    before = (await service.store.get_session(OWNER, t.session_id)).state
    t = await service.handle(OWNER, t.session_id, Event("answer", blank))
    texts = rendered(t.outputs)
    assert texts and all(x.strip() for x in texts)
    after = State.from_dict((await service.store.get_session(OWNER, t.session_id)).state)
    if blank.strip():  # a zero-width space is not whitespace to Python: kept as typed
        assert after.answers.get("q1") == blank.strip()
    else:
        assert isinstance(t.outputs[0], Say) and t.outputs[0].name == "flow/empty_answer.j2"
        assert after.answers == {} and after.index == before["index"]


@pytest.mark.parametrize("name", list(PAYLOADS))
async def test_case_and_seed_payloads(service, name):
    payload = PAYLOADS[name]
    t = await service.start(OWNER, case=payload, seed=payload)
    texts = rendered(t.outputs)
    assert_not_interpreted(texts, payload)
    t = await service.handle(OWNER, t.session_id, Event("consent", payload))
    t = await service.handle(OWNER, t.session_id, Event("answer", "An answer about the session."))
    t = await service.handle(OWNER, t.session_id, Event("finish"))
    assert_not_interpreted(rendered(t.outputs), payload)
    assert_discord_inert(t.outputs)
    t = await service.handle(OWNER, t.session_id, Event("save"))
    assert type(t.outputs[0]).__name__ == "Saved"
    [entry] = await service.store.list_entries(OWNER)
    assert not entry.unreadable


def test_every_payload_in_a_flow_template_context_stays_literal():
    """Rendering a value that looks like a template never evaluates it (both targets)."""
    for target in ("plain", "discord"):
        out = render("flow/preview.j2", target=target, case="{{ 7*7 }}", seed="${7*7}",
                     items=[{"number": 1, "question": "{% raw %}", "answer": PAYLOADS["jinja"], "follow_up": None}],
                     redactions=[], total_redactions=0)
        assert "49" not in out
        assert "7*7" in out.replace("\\", "")


# ----------------------------------------------------------------------------- config files

CONFIG_CASES = {
    "empty": b"",
    "whitespace": b"   \n\t\n",
    "nul": b"log_level: INFO\x00\n",
    "invalid_utf8": b"log_level: \xff\xfe\n",
    "lone_surrogate_escape": b'defaults:\n  timezone: "\\ud800"\n',
    "long": b"defaults:\n  crisis_resources:\n" + b"".join(b"    - line %d " % i + b"x" * 200 + b"\n" for i in range(500)),
    "huge_value": b"defaults:\n  timezone: " + b"A" * 100_000 + b"\n",
    "zone_is_a_directory": b"defaults:\n  timezone: America\n",
    "rtl": "defaults:\n  timezone: \"Europe/\u202eLondon\"\n".encode(),
    "template": b"defaults:\n  timezone: \"{{ 7*7 }}\"\n  crisis_resources: [\"{{ 7*7 }}\", \"${7*7}\"]\n",
    "sql": b"data_dir: \"'); DROP TABLE entries;--\"\n",
    "mentions": b"defaults:\n  crisis_resources: [\"@everyone call <@123456789012345678>\"]\n",
    "emoji": "defaults:\n  timezone: \"\U0001f600\"\n".encode(),
    "non_english": "defaults:\n  crisis_resources: [\"L\u00ednea de crisis: 024\", \"\u062e\u0637 \u0627\u0644\u0645\u0633\u0627\u0639\u062f\u0629\", \"\u5fc3\u7406\u63f4\u52a9\u70ed\u7ebf\"]\n".encode(),
    "not_mapping": b"- a\n- b\n",
    "bad_yaml": b"defaults: [unclosed\n",
    "python_tag": b"log_level: !!python/object/apply:os.system ['echo pwned']\n",
    "alias_bomb": b"a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nguilds: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
    "secret_in_file": b"token: abc.def.ghi\n",
}


@pytest.mark.parametrize("name", list(CONFIG_CASES))
def test_config_files_answer_clearly(tmp_path, name):
    path = tmp_path / "config.yaml"
    path.write_bytes(CONFIG_CASES[name])
    try:
        cfg = load_config(path)
    except ConfigError as exc:
        assert exc.problems and all(p.startswith("config.yaml") for p in exc.problems)
        out = render("cli/config_errors.j2", problems=exc.problems)
        assert "49" not in out
    else:
        assert cfg.source == "config.yaml"
        out = render("cli/config_ok.j2", cfg=cfg)
        assert "49" not in out
        if name == "non_english":
            assert "L\u00ednea de crisis: 024" in cfg.defaults.crisis_resources
