"""Risk screening: self-harm, harm to others, safeguarding; negation-aware; first in the turn."""
from __future__ import annotations

import pytest

from bot.core.flow import ASKING, RISK_HOLD, Event, Flow, Passages, RiskAlert
from bot.core.content import get_pack
from bot.core.safety import screen

HITS = [
    ("She's terrified her ex will find out where she lives.", "safeguarding"),
    ("She denied SI, and wants to die some days.", "self-harm"),
    ("She doesn't feel safe at home with her stepdad.", "safeguarding"),
    ("She told me she's been stockpiling her pills.", "self-harm"),
    ("He says he thinks about hurting himself most nights.", "self-harm"),
    ("He mentioned he has been hitting his kids when he drinks.", "safeguarding"),
    ("Her partner slapped her in front of the children last week.", "safeguarding"),
    ("He admitted he has fantasies about hurting his boss.", "harm-to-others"),
    ("She said she wants to kill herself.", "self-harm"),
    ("I can't go on like this, honestly.", "self-harm"),
    ("He's thinking of ending it all after the court date.", "self-harm"),
    ("She told me she's cutting again.", "self-harm"),
    ("Took an overdose in March.", "self-harm"),
    ("Denies SI but said she'd be better off dead.", "self-harm"),
    ("She denied SI. Later she said she can't go on.", "self-harm"),
    ("He threatened to hurt his ex.", "harm-to-others"),
    ("He wants to kill his manager.", "harm-to-others"),
    ("He mentioned he has a gun at home.", "harm-to-others"),
    ("Her stepfather hits her when he drinks.", "safeguarding"),
    ("I think this needs a child protection referral.", "safeguarding"),
    ("Possible elder abuse by the son.", "safeguarding"),
    ("Disclosed sexual abuse by an uncle.", "safeguarding"),
    ("There is domestic violence at home.", "safeguarding"),
    ("The children are being neglected.", "safeguarding"),
]

NOT_HITS = [
    "She denied SI, HI, and any self-harm.",
    "Denies suicidal ideation.",
    "She denies suicidal thoughts and any plan.",
    "No history of self-harm or suicidal ideation.",
    "He denies any thoughts of harming others.",
    "She was cutting vegetables while we spoke on the phone.",
    "The session felt chaotic and I was overwhelmed.",
    "We talked about her dog and the new job.",
]


@pytest.mark.parametrize("text,category", HITS)
def test_hits(text, category):
    assert category in [h.id for h in screen(text)]


@pytest.mark.parametrize("text", NOT_HITS)
def test_not_hits(text):
    assert screen(text) == []


def test_kill_herself_is_self_harm_not_harm_to_others():
    assert [h.id for h in screen("She said she wants to kill herself.")] == ["self-harm"]


def test_risk_comes_first_and_holds_until_continue():
    flow = Flow(get_pack())
    s, _ = flow.start()
    s, _ = flow.step(s, Event("consent", "A.B."))
    s, out = flow.step(s, Event("answer", "She was chaotic and overwhelmed and said she wants to kill herself."),
                       ["Crisis line 000"])
    assert s.phase == RISK_HOLD
    assert len(out) == 1 and isinstance(out[0], RiskAlert)  # no theory this turn
    assert out[0].resources == ("Crisis line 000",) and out[0].categories[0].id == "self-harm"
    assert not any(isinstance(o, Passages) for o in out) and s.shown == []
    s2, out2 = flow.step(s, Event("answer", "more text"))
    assert s2.phase == RISK_HOLD and s2.answers["q1"].startswith("She was chaotic")
    s3, out3 = flow.step(s, Event("skip"))
    assert s3.phase == RISK_HOLD  # skip is not a way past the safeguarding message
    s4, out4 = flow.step(s, Event("continue"))
    assert s4.phase == ASKING and s4.index == 1
    assert out4[-1].follow_up is not None and out4[-1].follow_up.topic_id == "risk"


def test_risk_message_renders_resources():
    from bot.core.render import render

    text = render(RiskAlert.template, **RiskAlert((), ("Samaritans 116 123",)).context())
    assert "Samaritans 116 123" in text and "supervisor" in text and "risk protocol" in text
