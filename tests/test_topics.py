"""Topic rules on realistic (synthetic) supervisee writing: hits, negations, and texts that match nothing."""
from __future__ import annotations

import json
import time

import pytest

from bot.core.content import get_pack
from bot.core.topics import CueMatcher, NegationRules, negation_rules, topic_matcher

PACK = get_pack("ipnb")
M = topic_matcher(PACK)


def ids(text: str) -> set[str]:
    return {t.id for t in M.match(text)}


# (text, topics that must be found, topics that must NOT be found)
CASES = [
    ("He keeps his emotions locked away and intellectualises everything.", {"rigidity"}, {"chaos"}),
    ("There was a moment of real connection when I matched her pace and tone.", {"attunement"}, set()),
    ("He's been low for months, sleeping badly and losing interest in everything.", {"anxiety-depression"}, set()),
    ("We're trying to help her connect what she feels in her body with the story she tells.", {"integration"}, set()),
    ("I noticed my chest tighten when she talked about her father, which told me something about my own history.",
     {"mindsight"}, set()),
    ("When her mother visits she becomes completely overwhelmed and the session turns chaotic.",
     {"chaos", "affect-regulation"}, {"rigidity"}),
    ("He tells the same story every week in a flat, over-controlled voice; I feel we are stuck.",
     {"rigidity", "mindsight"}, {"chaos"}),
    ("She swings between flooding and numbing, sometimes within five minutes.",
     {"chaos", "rigidity", "affect-regulation"}, set()),
    ("I wonder whether my idea of healthy independence is a Western assumption; in her family interdependence is the norm.",
     {"cultural-humility"}, set()),
    ("I haven't really thought about what his faith community would call healing.",
     {"cultural-humility"}, set()),
    ("Honestly I've been using IPNB talk instead of the trauma-focused CBT protocol the agency recommends for his PTSD.",
     {"scope-caution", "trauma"}, set()),
    ("I told him his amygdala was hijacking his prefrontal cortex, and now I'm not sure I can verify any of that.",
     {"overclaiming"}, set()),
    ("I keep saying her brain is wired for threat, which sounds scientific but is really a guess.",
     {"overclaiming"}, set()),
    ("What does the research actually say? The evidence for IPNB itself seems thin.",
     {"evidence"}, set()),
    ("There was a rupture last week when I was late, and we spent today on the repair.",
     {"attunement"}, set()),
    ("I'm trying to co-regulate with him by slowing my voice when he escalates.",
     {"attunement"}, set()),
    ("We worked on grounding when she leaves her window of tolerance.",
     {"affect-regulation"}, set()),
    ("He has flashbacks most nights and the nightmares have come back since the anniversary.",
     {"trauma"}, set()),
    ("Her attachment to me feels anxious; she fears I will abandon her when I go on leave.",
     {"attachment"}, set()),
    ("She zoned out mid-sentence and later said she had lost time on the bus.",
     {"dissociation"}, set()),
    ("The couple argue about money constantly and the fights end in days of silence.",
     {"relationship-conflict"}, set()),
    ("Her anxiety spikes on Sunday evenings and the low mood lingers into Tuesday.",
     {"anxiety-depression"}, set()),
    ("I noticed myself getting defensive, and my own reactions got in the way of hearing him.",
     {"mindsight"}, set()),
    ("What would integration mean for him: being differentiated from his father yet still linked?",
     {"integration"}, set()),
    ("My countertransference was strong today; I felt protective and a bit angry.",
     {"mindsight"}, set()),
    ("We did a risk assessment and updated the safety plan.", {"risk"}, set()),
    ("The family is all over the place: meltdowns at breakfast, explosive arguments at night.",
     {"chaos", "relationship-conflict"}, set()),
    ("He insists there is only one right way to grieve, very black-and-white.", {"rigidity"}, set()),
    ("She is a first-generation immigrant and her parents' expectations shape every decision.",
     {"cultural-humility"}, set()),
    ("I keep slipping into explaining polyvagal theory instead of being with her.",
     {"overclaiming"}, set()),
    ("The client’s dysregulation in session left me feeling overwhelmed too.",
     {"chaos", "affect-regulation"}, set()),
    # Negation: none of these is a hit for the negated topic.
    ("No signs of dissociation today.", set(), {"dissociation"}),
    ("She wasn't overwhelmed this week, which is new.", set(), {"chaos", "affect-regulation"}),
    ("We got through the exposure without any flooding.", set(), {"chaos", "affect-regulation"}),
    ("She never felt chaotic in the room.", set(), {"chaos"}),
    ("The psychiatrist ruled out PTSD at intake.", set(), {"trauma"}),
    ("He is not rigid at all about the homework.", set(), {"rigidity"}),
    ("No flooding, numbing or dissociation this session.", set(), {"chaos", "rigidity", "dissociation", "affect-regulation"}),
    ("There is no evidence of trauma in the history.", set(), {"evidence", "trauma"}),
    ("She doesn’t seem anxious anymore.", set(), {"anxiety-depression"}),
    # Negation scope ends at the clause: these ARE hits.
    ("She denied feeling numb but was clearly overwhelmed.", {"chaos"}, {"rigidity"}),
    ("Not rigid at all, rather chaotic if anything.", {"chaos"}, {"rigidity"}),
    ("He wasn't tearful. The session was chaotic.", {"chaos"}, {"anxiety-depression"}),
    ("Not only chaotic but also oddly rigid at the end.", {"chaos", "rigidity"}, set()),
    ("I can't rule out dissociation yet.", {"dissociation"}, set()),
    ("I'm not sure whether she dissociates or just disengages.", {"dissociation"}, set()),
    # Reflective topics are not negatable: not having considered culture is the topic.
    ("I haven't considered how my own culture shapes this.", {"cultural-humility"}, set()),
    ("I wasn't attuned to her at all today.", {"attunement"}, set()),
]

NOTHING = [
    "We met on Tuesday and reviewed her homework sheet.",
    "The weather was bad so the session started ten minutes late.",
    "He brought his sketchbook and showed me some drawings of boats.",
    "I am writing this after lunch, between two other appointments.",
    "She asked about the parking at the new office.",
    "Total of three sessions so far; next one is booked.",
    "He likes numbers and spreadsheets and works in accounting.",
    "",
]


@pytest.mark.parametrize("text,must,must_not", CASES)
def test_rules_on_supervisee_writing(text, must, must_not):
    found = ids(text)
    assert must <= found, f"missing {must - found} in {found}"
    assert not (must_not & found), f"should not fire {must_not & found}"


@pytest.mark.parametrize("text", NOTHING)
def test_texts_that_match_nothing(text):
    assert ids(text) == set()


def test_at_least_forty_texts():
    assert len(CASES) + len(NOTHING) >= 40


def test_required_topics_exist_and_pull_the_right_source():
    have = {t.id for t in PACK.topics}
    need = {"chaos", "rigidity", "cultural-humility", "scope-caution", "overclaiming", "evidence", "attunement",
            "affect-regulation", "trauma", "attachment", "dissociation", "relationship-conflict",
            "anxiety-depression", "mindsight", "integration", "risk"}
    assert need <= have
    for pole in ("chaos", "rigidity"):
        rule = PACK.topic(pole)
        assert rule.pole == pole
        assert {"core-principles.14", "core-principles.15", "term.chaos-and-rigidity", "problems-for-work.1"} <= set(rule.pulls)
        assert "chaos-and-rigidity" in rule.terms
    assert set(PACK.topic("cultural-humility").pulls) >= {f"cautions-and-cultural-humility.{i}" for i in (5, 6, 7)}
    assert PACK.topic("scope-caution").pulls[:2] == ("cautions-and-cultural-humility.1", "cautions-and-cultural-humility.2")
    assert PACK.topic("overclaiming").pulls[0] == "cautions-and-cultural-humility.3"
    assert "interventions-and-techniques.8" in PACK.topic("attunement").pulls
    assert "problems-for-work.item1.2" in PACK.topic("affect-regulation").pulls
    assert PACK.topic("mindsight").pulls[0] == "term.mindsight"
    assert PACK.topic("risk").passages is False and PACK.topic("risk").pulls == ()
    for t in PACK.topics:
        assert t.follow_up.strip().endswith("?")


def test_match_reports_cues_as_written_and_pulls():
    (chaos, *_rest) = M.match("Sessions feel chaotic; she was overwhelmed and overwhelming to be with.")
    assert chaos.id == "chaos"
    assert chaos.cues == ("chaotic", "overwhelmed", "overwhelming")
    assert chaos.pulls[0] == "core-principles.14"


def test_topics_ordered_by_first_cue():
    assert [t.id for t in M.match("He was stuck, then later chaotic.")][:2] == ["rigidity", "chaos"]


def test_wildcard_and_phrase_with_hyphen_or_space():
    assert "rigidity" in ids("Her thinking is black and white.")
    assert "rigidity" in ids("Her thinking is black-and-white.")
    assert "chaos" in ids("He gets dysregulated fast.")
    assert "rigidity" not in ids("Her phone number changed.")  # numb, not numb*


def test_double_negation_is_a_hit():
    assert "chaos" in ids("I wouldn't say she was never chaotic.")
    assert "chaos" not in ids("She was never chaotic.")


def test_one_combined_expression():
    assert M.matcher.pattern.pattern.startswith(r"\b(?=(")
    assert M.matcher.pattern.flags & 2 == 0  # no re.IGNORECASE: the text is lower-cased once


def test_speed_4000_characters_well_under_2ms():
    para = ("In session she moved between feeling overwhelmed and shutting down; I noticed my own urge to fix it. "
            "We talked about her family's expectations and what healthy closeness means in her culture. "
            "I caught myself explaining her amygdala, which I cannot verify. No signs of dissociation today. ")
    text = (para * 20)[:4000]
    M.match(text)
    n = 50
    t0 = time.perf_counter()
    for _ in range(n):
        M.match(text)
    per = (time.perf_counter() - t0) / n
    assert per < 0.002, f"{per * 1000:.2f} ms"


def test_matcher_is_generic_and_negation_rules_load():
    rules = negation_rules()
    assert "no" in rules.negators and "not" in rules.negators  # quoted in YAML, not booleans
    m = CueMatcher({"a": ["apple*"], "b": ["pear tree"]}, NegationRules.load())
    hits = m.scan("Apples grow; no pear tree here.")
    assert [(h.rules, h.negated) for h in hits] == [(("a",), False), (("b",), True)]


def test_topics_command_json(tmp_path):
    from tests.helpers import run_cli

    proc = run_cli("topics", stdin="She was overwhelmed and chaotic; no signs of dissociation.\n")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    chaos = next(t for t in data["topics"] if t["id"] == "chaos")
    assert chaos["cues"] == ["overwhelmed", "chaotic"]
    assert chaos["pulls"][0] == "core-principles.14"
    assert all(t["id"] != "dissociation" for t in data["topics"])


def test_topics_command_explain():
    from tests.helpers import run_cli

    proc = run_cli("topics", "--explain", stdin="I keep telling him his brain is wired for threat.\n")
    assert proc.returncode == 0, proc.stderr
    assert "over-claiming" in proc.stdout and "brain" in proc.stdout and "cautions-and-cultural-humility.3" in proc.stdout
    empty = run_cli("topics", "--explain", stdin="We booked the next session.\n")
    assert empty.returncode == 0 and empty.stdout.strip()


def test_negation_scope_counts_words_not_characters():
    long = "x" * 300
    assert "chaos" not in ids(f"No {long} chaotic moments.")  # two words back, however long
    assert "chaos" in ids("No doubt about it, she is often and quite chaotic.")
    assert "chaos" in ids("No one else in the family is ever so chaotic.")  # six words back: out of reach
    assert "chaos" not in ids("No one in the family is chaotic.")  # six words back: in reach
    assert "chaos" in ids("She is not sure she was chaotic.")  # a not-negator, skipped when counting
    assert "chaos" in ids("She is not, sure, chaotic.")  # the comma ends the clause


def test_shortcuts_give_the_plain_scan():
    """The scan after non-word characters, the negation pre-check and the clause search back from the
    cue are shortcuts: switched off one by one they must not change a single hit."""
    import random

    from bench.core import Answers

    rng = random.Random(5)
    cues = [c.rstrip("*") for t in PACK.topics for c in t.cues]
    bits = ["not", "no", "never", "denies", "ruled out", "can't", "n’t", "not sure", "or", "and any", "but", "however",
            "she", "was", "very", "zoë", "x_y", "—", "(", ")", ",", ".", ";", "-", " - ", "\n", "’"]
    texts = [c[0] for c in CASES] + NOTHING + [Answers(s).next(800) for s in range(5)]
    for _ in range(150):
        words = [rng.choice(cues) if rng.random() < 0.4 else rng.choice(bits) for _ in range(rng.randint(1, 25))]
        texts.append(" ".join(words))
    screen = __import__("bot.core.safety", fromlist=["safety_screen"]).safety_screen()
    for matcher in (M.matcher, screen.matcher):
        expected = [matcher.scan(t) for t in texts]
        for attr, off in (("_after_gap", None), ("_near", None), ("_local_breaks", False)):
            saved = getattr(matcher, attr)
            setattr(matcher, attr, off)
            try:
                assert [matcher.scan(t) for t in texts] == expected, attr
            finally:
                setattr(matcher, attr, saved)


def test_cue_beginning_with_a_hyphen_still_matches_as_before():
    m = CueMatcher({"a": ["-dash", "over*"], "b": ["overwhelm", "rupture", "rupture and repair"]}, NegationRules.load())
    assert m._after_gap is None  # such a cue needs the plain \b scan
    hits = m.scan("A -dash, overwhelm, overwhelmed; not rupture and repair.")
    assert [(h.words, h.rules, h.negated) for h in hits] == [
        (" -dash", ("a",), False), ("overwhelm", ("b",), False), ("overwhelmed", ("a",), False),
        ("rupture and repair", ("b",), True)]
