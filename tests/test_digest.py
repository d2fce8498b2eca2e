"""The weekly digest: k-anonymity suppression, excerpts only as shared, no author info."""
from __future__ import annotations

import random

import pytest
from hypothesis import given, settings, strategies as st

from bot.core.digest import CountOrSuppressed, EntryFacts, build_digest, pack_labels, render_digest
from bot.core.content import get_pack

WEEK = "2026-W48"


def entries_of(n_people: int, per_person: int = 1, topics=("grief",)) -> list[EntryFacts]:
    return [EntryFacts(f"p{i}", list(topics), ["q1"], [], []) for i in range(n_people) for _ in range(per_person)]


@pytest.mark.parametrize("people,shown", [(0, 0), (1, None), (2, None), (3, 3), (4, 4)])
def test_participant_and_reflection_counts(people, shown):
    d = build_digest(WEEK, entries_of(people))
    assert d.participants == CountOrSuppressed(shown)
    assert d.reflections.value == shown
    text = render_digest(d)
    if shown is None:
        assert "fewer than 3" in text
        assert f"{people} " not in text.split("\n", 1)[1]
    elif shown == 0:
        assert "No reflections" in text
    else:
        assert f"{shown} reflections from {shown} people" in text


def test_many_reflections_from_two_people_stay_suppressed():
    d = build_digest(WEEK, entries_of(2, per_person=5))
    assert d.reflections.suppressed and d.participants.suppressed
    text = render_digest(d)
    assert "10" not in text and "fewer than 3" in text


def test_topic_by_two_people_among_five_is_suppressed_and_not_named():
    es = entries_of(5, topics=("grief",))
    es[0] = EntryFacts("p0", ["grief", "shame"])
    es[1] = EntryFacts("p1", ["grief", "shame"])
    d = build_digest(WEEK, es)
    assert d.topic_counts["grief"] == CountOrSuppressed(5)
    assert d.topic_counts["shame"].suppressed
    text = render_digest(d, topic_labels={"grief": "Grief", "shame": "Shame"})
    assert "Grief: 5" in text
    assert "Shame" not in text and "shame" not in text
    assert "fewer than 3 people" in text
    assert d.topic_series() == {"grief": 5, "shame": None}


def test_topic_repeated_by_one_person_is_still_one_person():
    es = [EntryFacts("solo", ["shame"]) for _ in range(4)] + entries_of(3)
    d = build_digest(WEEK, es)
    assert d.topic_counts["shame"].suppressed
    assert d.participants.value == 4 and d.reflections.value == 7


def test_topic_listed_twice_in_one_entry_counts_once():
    d = build_digest(WEEK, [EntryFacts(f"p{i}", ["grief", "grief"]) for i in range(3)])
    assert d.topic_counts["grief"].value == 3


def test_skipped_questions_need_three_people():
    es = [EntryFacts("p0", skipped=["q3", "q5"]), EntryFacts("p1", skipped=["q3", "q5"]),
          EntryFacts("p2", skipped=["q3"]), EntryFacts("p2", skipped=["q5"]), EntryFacts("p3", skipped=["q3"])]
    d = build_digest(WEEK, es)
    # q3: 4 entries from 4 people; q5: 3 entries from 3 people
    assert d.most_skipped_questions == [("q3", 4), ("q5", 3)]
    assert build_digest(WEEK, es[:2]).most_skipped_questions == []
    text = render_digest(d, question_texts={"q3": "Where might the language lend false certainty?"})
    assert "Where might the language lend false certainty? (4)" in text


def test_skipped_by_two_people_not_named():
    es = entries_of(4) + [EntryFacts("p0", skipped=["q6"]), EntryFacts("p1", skipped=["q6"])]
    d = build_digest(WEEK, es)
    assert d.most_skipped_questions == []
    assert "q6" not in render_digest(d)


def test_chaos_vs_rigidity_needs_three_contributors():
    poles = {"overwhelm": "chaos", "stuck": "rigidity"}
    two = [EntryFacts("a", ["overwhelm"]), EntryFacts("b", ["stuck"]), EntryFacts("c", ["grief"])]
    assert build_digest(WEEK, two, poles=poles).chaos_vs_rigidity is None
    three = two + [EntryFacts("d", ["overwhelm"])]
    b = build_digest(WEEK, three, poles=poles).chaos_vs_rigidity
    assert b is not None and b.lean == "chaos"
    # each pole's count is hidden when fewer than 3 people touched that pole
    assert b.chaos.suppressed and b.rigidity.suppressed
    text = render_digest(build_digest(WEEK, three, poles=poles))
    assert "leaned towards chaos" in text and "touching chaos" not in text
    five = three + [EntryFacts("e", ["overwhelm"]), EntryFacts("f", ["stuck"]), EntryFacts("g", ["stuck"])]
    b5 = build_digest(WEEK, five, poles=poles).chaos_vs_rigidity
    assert (b5.chaos.value, b5.rigidity.value, b5.lean) == (3, 3, "balanced")
    assert "touching chaos: 3; touching rigidity: 3" in render_digest(build_digest(WEEK, five, poles=poles))


def test_default_poles_are_the_topics_named_chaos_and_rigidity():
    es = [EntryFacts(f"p{i}", ["rigidity"]) for i in range(3)]
    b = build_digest(WEEK, es).chaos_vs_rigidity
    assert b is not None and b.lean == "rigidity" and b.rigidity.value == 3


def test_excerpts_only_as_shared_without_authors_in_week_seeded_order():
    es = [EntryFacts(f"AUTHOR-{i}", ["grief"], ["q1"], [], [f"excerpt {i}"]) for i in range(8)]
    d = build_digest(WEEK, es)
    assert sorted(d.excerpts) == sorted(f"excerpt {i}" for i in range(8))
    # order does not depend on input order, only on the week
    shuffled = es[:]
    random.Random(1).shuffle(shuffled)
    assert build_digest(WEEK, shuffled).excerpts == d.excerpts
    orders = {tuple(build_digest(f"2026-W{w:02d}", es).excerpts) for w in range(1, 10)}
    assert len(orders) > 1
    text = render_digest(d)
    assert "AUTHOR" not in text


def test_excerpts_are_escaped_for_discord():
    es = entries_of(3) + [EntryFacts("p0", shared_excerpts=["**loud** @everyone <@123>"])]
    text = render_digest(build_digest(WEEK, es), target="discord")
    assert "@everyone" not in text and "<@123>" not in text and "**loud**" not in text
    assert "\\*\\*loud\\*\\*" in text


SECRET = "SECRET-UNSHARED"
texts = st.text(alphabet="abcdefgh ", min_size=1, max_size=12)
facts = st.builds(
    EntryFacts,
    author=st.sampled_from(["ann", "bob", "cy", "dee", "eve"]).map(lambda a: f"AUTHOR-{a}"),
    topics=st.lists(st.sampled_from(["grief", "shame", "chaos", "rigidity"]), max_size=3),
    answered=st.lists(st.sampled_from(["q1", "q2", "q3"]).map(lambda q: q + SECRET), max_size=2),
    skipped=st.lists(st.sampled_from(["q4", "q5", "q6"]), max_size=2),
    shared_excerpts=st.lists(texts, max_size=2),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(facts, max_size=12))
def test_nothing_appears_that_was_not_shared(entries):
    d = build_digest(WEEK, entries)
    text = render_digest(d, target="plain")
    assert "AUTHOR" not in text and SECRET not in text
    shared = [x for e in entries for x in e.shared_excerpts if x.strip()]
    assert sorted(d.excerpts) == sorted(shared)
    people = {e.author for e in entries}
    for topic, count in d.topic_counts.items():
        who = {e.author for e in entries if topic in e.topics}
        assert count.suppressed == (len(who) < 3)
        if count.suppressed:
            assert f"{topic}:" not in text
    if 0 < len(people) < 3:
        assert d.participants.suppressed and d.reflections.suppressed
        assert "fewer than 3" in text


def test_with_the_real_pack_labels():
    labels, questions, poles = pack_labels(get_pack("ipnb"))
    assert questions["q1"]
    d = build_digest(WEEK, [EntryFacts(f"p{i}", skipped=["q1"]) for i in range(3)], poles=poles)
    assert questions["q1"].split()[0] in render_digest(d, labels, questions)
