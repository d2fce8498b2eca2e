"""The guided reflection as an explicit state machine: `step(state, event) -> (state, outputs)`.

Phases and transitions are DATA: `TRANSITIONS` maps (phase, event kind) to a handler and the
phases it may lead to; a missing pair means "not available now". The core is pure: no I/O, no
clock, no discord. Outputs are typed, adapter-neutral records; each names its template under
prompts/ and carries the data to render it (adapters may also build embeds from the fields).

    opening --consent--> asking(q1..q6) --answer--> [risk screen] --> passages + next question
                                   \\--risk hit--> risk_hold --continue--> next question
    asking --finish / last answer--> closing (summary, SMART, anonymised preview) --save/discard--> ended
    any active phase --pause--> paused --resume (or any event)--> where it stopped

`State` is a dataclass that round-trips through a plain dict (`to_dict`/`from_dict`) and is what
goes into `StoredSession.state`. Raw answers live only there, and are wiped on save or discard.
"""
from __future__ import annotations

import re
from collections import Counter
from copy import deepcopy as _deepcopy
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Callable, ClassVar

from bot.core.content import Pack, get_pack
from bot.core.ports import NewEntry
from bot.core.safety import SafetyScreen, safety_screen
from bot.core.topics import TopicMatch, TopicMatcher, topic_matcher

STATE_VERSION = 1
MAX_PASSAGES = 2

# phases
OPENING, ASKING, RISK_HOLD, CLOSING, PAUSED, ENDED = "opening", "asking", "risk_hold", "closing", "paused", "ended"
ACTIVE = (OPENING, ASKING, RISK_HOLD, CLOSING)

# event kinds an adapter may send
EVENTS = ("consent", "decline", "answer", "skip", "back", "pause", "resume", "finish", "help", "continue",
          "save", "discard")

_PSEUDONYM = re.compile(r"^(?:[A-Za-z]\.?){1,4}$|^[A-Za-z]{1,8}[-_ ]?\d{1,4}$")


# ------------------------------------------------------------------------------- events


@dataclass(frozen=True)
class Event:
    """Something the person did. `text` carries an answer, or the case pseudonym on consent."""

    kind: str
    text: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in EVENTS:
            raise ValueError(f"unknown event kind {self.kind!r}")


# ------------------------------------------------------------------------------- outputs


@dataclass(frozen=True)
class Output:
    """Something to show. `template` is a path under prompts/; `context()` is what it renders.

    `cacheable`: the output holds content only (no words a person wrote), so its rendering may be
    kept and reused (bot.core.render.render_output); its fields must all be hashable."""

    template: ClassVar[str] = ""
    cacheable: ClassVar[bool] = False

    def context(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Say(Output):
    """A short message with its own template (acknowledgements, hints)."""

    name: str
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def template(self) -> str:  # type: ignore[override]
        return self.name

    def context(self) -> dict[str, Any]:
        return dict(self.data)


@dataclass(frozen=True)
class Opening(Output):
    template: ClassVar[str] = "flow/opening.j2"
    pack_name: str
    total: int
    seed: str | None
    case: str | None
    needs_consent: bool


@dataclass(frozen=True)
class FollowUp:
    topic_id: str
    topic_label: str
    text: str


@dataclass(frozen=True)
class Question(Output):
    template: ClassVar[str] = "flow/question.j2"
    cacheable: ClassVar[bool] = True
    question_id: str
    number: int  # 1-based
    total: int
    text: str
    source: str  # "1".."6" or "LLM"
    follow_up: FollowUp | None = None
    revisiting: bool = False  # came back to it (back / resume)
    has_answer: bool = False  # an earlier answer is kept unless a new one is written


@dataclass(frozen=True)
class TopicView:
    id: str
    label: str
    cues: tuple[str, ...]
    pole: str | None = None


@dataclass(frozen=True)
class Passage:
    claim_id: str
    text: str
    source: str  # "1".."6" or "LLM"
    cited: bool
    reference_number: int | None
    reference_title: str | None
    topic_id: str


@dataclass(frozen=True)
class Sources(Output):
    """Passages of the source with their citations and reference list: content only."""

    template: ClassVar[str] = "flow/sources.j2"
    cacheable: ClassVar[bool] = True
    block: ClassVar[bool] = True  # rendered in place when it sits in another output's context
    passages: tuple[Passage, ...]

    @property
    def references(self) -> list[tuple[int, str]]:
        seen = {p.reference_number: p.reference_title for p in self.passages if p.cited}
        return sorted((n, t) for n, t in seen.items() if n is not None and t)

    @property
    def any_uncited(self) -> bool:
        return any(not p.cited for p in self.passages)

    def context(self) -> dict[str, Any]:
        return {"passages": self.passages, "references": self.references, "any_uncited": self.any_uncited}


@dataclass(frozen=True)
class Passages(Output):
    """The topics an answer touched (with the person's own cue words) and at most two passages of
    the source, with citations (a `Sources` block, rendered from content alone)."""

    template: ClassVar[str] = "flow/passages.j2"
    topics: tuple[TopicView, ...]
    passages: tuple[Passage, ...]

    def context(self) -> dict[str, Any]:
        return {"noticed": tuple((t.label, t.cues) for t in self.topics),
                "sources": Sources(self.passages) if self.passages else None}


@dataclass(frozen=True)
class RiskView:
    id: str
    label: str


@dataclass(frozen=True)
class RiskAlert(Output):
    """Safeguarding first: no theory this turn. `waiting`: the flow holds until a "continue"."""

    template: ClassVar[str] = "flow/risk.j2"
    categories: tuple[RiskView, ...]
    resources: tuple[str, ...]
    waiting: bool = True


@dataclass(frozen=True)
class SmartView:
    id: str
    goal: str
    objective: str
    mechanism: str
    source: str


@dataclass(frozen=True)
class SmartRows(Output):
    """The SMART objectives suggested at the close, as a list: content only, rendered once.
    `template` differs for the closing summary and the journal entry."""

    cacheable: ClassVar[bool] = True
    block: ClassVar[bool] = True
    rows: tuple[SmartView, ...]
    name: str = "flow/smart.j2"

    @property
    def template(self) -> str:  # type: ignore[override]
        return self.name

    def context(self) -> dict[str, Any]:
        return {"smart": self.rows}


@dataclass(frozen=True)
class Summary(Output):
    template: ClassVar[str] = "flow/summary.j2"
    cacheable: ClassVar[bool] = True
    topics: tuple[tuple[str, str, int], ...]  # (id, label, answers it came up in)
    chaos: int
    rigidity: int
    balance: str  # "chaos" | "rigidity" | "both" | "none"
    answered: tuple[int, ...]  # question numbers
    skipped: tuple[int, ...]
    not_reached: tuple[int, ...]
    total: int
    risk: tuple[RiskView, ...]
    smart: tuple[SmartView, ...]
    carry: FollowUp | None  # a follow-up to take to supervision

    def context(self) -> dict[str, Any]:
        ctx = super().context()
        ctx["smart_rows"] = SmartRows(self.smart) if self.smart else None
        return ctx


@dataclass(frozen=True)
class Preview(Output):
    """The anonymised entry as it would be saved, and what was replaced. Save / discard."""

    template: ClassVar[str] = "flow/preview.j2"
    case: str | None
    seed: str | None
    items: tuple[dict, ...]  # {"number", "question", "answer", "follow_up"} (answers scrubbed)
    redactions: tuple[tuple[str, int], ...]  # (kind, count)
    total_redactions: int


@dataclass(frozen=True)
class Help(Output):
    cacheable: ClassVar[bool] = True
    template: ClassVar[str] = "flow/help.j2"
    phase: str
    commands: tuple[str, ...]


@dataclass(frozen=True)
class NotNow(Output):
    cacheable: ClassVar[bool] = True
    template: ClassVar[str] = "flow/not_now.j2"
    command: str
    phase: str
    commands: tuple[str, ...]


@dataclass(frozen=True)
class Paused(Output):
    cacheable: ClassVar[bool] = True
    template: ClassVar[str] = "flow/paused.j2"
    number: int
    total: int


@dataclass(frozen=True)
class Saved(Output):
    template: ClassVar[str] = "flow/saved.j2"
    entry_id: str


@dataclass(frozen=True)
class Discarded(Output):
    cacheable: ClassVar[bool] = True
    template: ClassVar[str] = "flow/discarded.j2"


@dataclass(frozen=True)
class Ended(Output):
    cacheable: ClassVar[bool] = True
    template: ClassVar[str] = "flow/ended.j2"
    outcome: str | None


@dataclass(frozen=True)
class SaveEntry(Output):
    """An effect for the service, never shown: store this entry, then say `Saved`."""

    template: ClassVar[str] = ""
    entry: NewEntry


# ------------------------------------------------------------------------------- state


@dataclass
class State:
    pack: str = "ipnb"
    phase: str = OPENING
    resume_phase: str | None = None
    index: int = 0  # the question being asked (0-based)
    case: str | None = None
    seed: str | None = None
    consent: bool = False
    answers: dict[str, str] = field(default_factory=dict)  # question id -> raw answer
    skipped: list[str] = field(default_factory=list)
    reached: int = 0  # how many questions have been shown
    topics: dict[str, list[str]] = field(default_factory=dict)  # question id -> topic ids
    risk: dict[str, list[str]] = field(default_factory=dict)  # question id -> risk category ids
    shown: list[str] = field(default_factory=list)  # claim ids already offered
    followed_up: list[str] = field(default_factory=list)  # topic ids whose follow-up was posed
    follow_ups: dict[str, str] = field(default_factory=dict)  # question id -> topic id posed with it
    preview: dict[str, Any] | None = None
    outcome: str | None = None  # "saved" | "discarded" | "declined"
    turns: int = 0
    version: int = STATE_VERSION

    def to_dict(self) -> dict[str, Any]:
        # a plain recursive copy of the JSON-shaped fields (~5x cheaper than asdict, every turn). Tuples
        # become lists, as JSON would make them: a state read back from the store must equal the live one.
        return {name: _copy(getattr(self, name)) for name in _STATE_FIELDS}

    def fields_dict(self) -> dict[str, Any]:
        """The fields as a dict WITHOUT copying the lists and dicts inside: for handing to the store,
        which serialises it at once (a state that lives on must use `to_dict`)."""
        return {name: getattr(self, name) for name in _STATE_FIELDS}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "State":
        if int(data.get("version", STATE_VERSION)) > STATE_VERSION:
            raise ValueError("session state from a newer version")
        return cls(**{k: v for k, v in data.items() if k in _STATE_FIELD_SET})

    @property
    def status(self) -> str:
        """The StoredSession status for this state."""
        if self.phase == PAUSED:
            return "paused"
        if self.phase == ENDED:
            return "saved" if self.outcome == "saved" else "discarded"
        return "active"


_STATE_FIELDS = tuple(f.name for f in fields(State))
_STATE_FIELD_SET = frozenset(_STATE_FIELDS)


def _copy(v: Any) -> Any:
    t = type(v)
    if t is dict:
        return {k: _copy(x) for k, x in v.items()}
    if t is list or t is tuple:
        return [_copy(x) for x in v]
    if t in (str, int, float, bool) or v is None:
        return v
    return asdict(v) if hasattr(v, "__dataclass_fields__") else _deepcopy(v)


# ------------------------------------------------------------------------------- the machine


Handler = Callable[["Flow", State, Event], list[Output]]


@dataclass(frozen=True)
class Transition:
    handler: str  # name of a Flow method
    to: tuple[str, ...]  # the phases it may lead to (checked on every step)


TRANSITIONS: dict[tuple[str, str], Transition] = {
    (OPENING, "consent"): Transition("_consent", (ASKING,)),
    (OPENING, "decline"): Transition("_decline", (ENDED,)),
    (OPENING, "resume"): Transition("_reshow", (OPENING,)),
    (ASKING, "answer"): Transition("_answer", (ASKING, RISK_HOLD, CLOSING)),
    (ASKING, "skip"): Transition("_skip", (ASKING, CLOSING)),
    (ASKING, "back"): Transition("_back", (ASKING,)),
    (ASKING, "finish"): Transition("_finish", (CLOSING,)),
    (ASKING, "resume"): Transition("_reshow", (ASKING,)),
    (RISK_HOLD, "continue"): Transition("_continue", (ASKING, CLOSING)),
    (RISK_HOLD, "answer"): Transition("_risk_waiting", (RISK_HOLD,)),
    (RISK_HOLD, "back"): Transition("_back_from_hold", (ASKING,)),
    (RISK_HOLD, "finish"): Transition("_finish", (CLOSING,)),
    (RISK_HOLD, "resume"): Transition("_reshow", (RISK_HOLD,)),
    (CLOSING, "save"): Transition("_save", (ENDED,)),
    (CLOSING, "discard"): Transition("_discard", (ENDED,)),
    (CLOSING, "back"): Transition("_back_from_closing", (ASKING,)),
    (CLOSING, "finish"): Transition("_reshow", (CLOSING,)),
    (CLOSING, "resume"): Transition("_reshow", (CLOSING,)),
    (OPENING, "pause"): Transition("_pause", (PAUSED,)),
    (ASKING, "pause"): Transition("_pause", (PAUSED,)),
    (RISK_HOLD, "pause"): Transition("_pause", (PAUSED,)),
    (CLOSING, "pause"): Transition("_pause", (PAUSED,)),
    (PAUSED, "resume"): Transition("_resume", ACTIVE),
    (PAUSED, "pause"): Transition("_still_paused", (PAUSED,)),
    (PAUSED, "*"): Transition("_resume_then", ACTIVE + (PAUSED, ENDED)),
    (ENDED, "*"): Transition("_ended", (ENDED,)),
    ("*", "help"): Transition("_help", ACTIVE + (PAUSED, ENDED)),
}


def commands_in(phase: str) -> tuple[str, ...]:
    """The event kinds a person can use in a phase (for help and for adapters' buttons)."""
    kinds = [k for (p, k) in TRANSITIONS if p == phase and k != "*"]
    kinds += [k for (p, k) in TRANSITIONS if p == "*" and k not in kinds]
    return tuple(k for k in EVENTS if k in kinds and k != "resume")


class Flow:
    """The reflection over one pack. Pure: the same state and event always give the same result."""

    def __init__(self, pack: Pack, topics: TopicMatcher | None = None, screen: SafetyScreen | None = None):
        self.pack = pack
        self.topics = topics or topic_matcher(pack)
        self.screen = screen or safety_screen()
        self.questions = pack.questions
        self.resources: tuple[str, ...] = ()

    # -- the one entry point
    def step(self, state: State, event: Event, resources: tuple[str, ...] | list[str] = (),
             owned: bool = False) -> tuple[State, list[Output]]:
        """`owned`: the caller hands `state` over (freshly decoded, used nowhere else afterwards),
        so it is advanced in place instead of copied first (the service does this every turn)."""
        new = state if owned else State.from_dict(state.to_dict())
        t = (TRANSITIONS.get((new.phase, event.kind)) or TRANSITIONS.get((new.phase, "*"))
             or TRANSITIONS.get(("*", event.kind)))
        self.resources = tuple(resources)
        if t is None:
            return new, [NotNow(event.kind, new.phase, commands_in(new.phase))]
        before = new.phase
        outputs = getattr(self, t.handler)(new, event)
        if new.phase != before and new.phase not in t.to:  # pragma: no cover - a table/handler mismatch
            raise AssertionError(f"{t.handler} moved {before} -> {new.phase}, table allows {t.to}")
        new.turns += 1
        return new, outputs

    def start(self, case: str | None = None, seed: str | None = None) -> tuple[State, list[Output]]:
        state = State(pack=self.pack.id, seed=(seed or None), case=self._case(case))
        return state, [self._opening(state)]

    # -- pieces
    def _opening(self, s: State) -> Opening:
        return Opening(self.pack.name, len(self.questions), s.seed, s.case, needs_consent=not s.consent)

    @staticmethod
    def _case(case: str | None) -> str | None:
        case = (case or "").strip()
        if not case:
            return None
        if _PSEUDONYM.match(case):
            return case
        from bot.core.privacy import scrub

        return scrub(case).text

    def _question(self, s: State, revisiting: bool = False) -> Question:
        q = self.questions[s.index]
        s.reached = max(s.reached, s.index + 1)
        fu = s.follow_ups.get(q.id)
        return Question(q.id, s.index + 1, len(self.questions), q.text, q.source,
                        self._follow_up_view(fu) if fu else None, revisiting, q.id in s.answers)

    def _follow_up_view(self, topic_id: str) -> FollowUp:
        rule = self.pack.topic(topic_id)
        return FollowUp(rule.id, rule.label, rule.follow_up)

    def _risk_alert(self, s: State, waiting: bool = True) -> RiskAlert:
        qid = self.questions[min(s.index, len(self.questions) - 1)].id
        cats = self.screen.categories
        views = tuple(RiskView(c, cats[c].label) for c in s.risk.get(qid, []) if c in cats)
        return RiskAlert(views, self.resources, waiting)

    def passages_for(self, matches: list[TopicMatch], shown: set[str] | frozenset[str] = frozenset()) -> list[Passage]:
        """At most MAX_PASSAGES passages for these topics, one per topic first, none already shown.

        Public so that channel mode offers exactly the passages a guided reflection would."""
        seen = set(shown)
        chosen: list[Passage] = []
        usable = [m for m in matches if m.passages]
        for _round in range(MAX_PASSAGES):
            for m in usable:
                if len(chosen) >= MAX_PASSAGES:
                    break
                cid = next((c for c in m.pulls if c not in seen), None)
                if cid is None:
                    continue
                seen.add(cid)
                claim = self.pack.claim(cid)
                ref = int(claim.source) if claim.cited else None
                chosen.append(Passage(cid, claim.text, claim.source, claim.cited, ref,
                                      self.pack.reference(ref).title if ref else None, m.id))
        return chosen

    def _passages(self, s: State, matches: list[TopicMatch]) -> list[Passage]:
        chosen = self.passages_for(matches, set(s.shown))
        s.shown += [p.claim_id for p in chosen]
        return chosen

    def _pick_follow_up(self, s: State, topic_ids: list[str], next_index: int) -> str | None:
        if next_index >= len(self.questions):
            return None
        theme = self.questions[next_index].theme
        ordered = (["risk"] if "risk" in topic_ids else []) + [t for t in topic_ids if t != "risk"]
        for tid in ordered:
            rule = self.pack.topic(tid)
            related = tid == theme or tid.startswith(theme) or theme.startswith(tid) or (rule.pole and rule.pole in theme)
            if tid in s.followed_up or related:
                continue
            s.followed_up.append(tid)
            s.follow_ups[self.questions[next_index].id] = tid
            return tid
        return None

    def _advance(self, s: State, topic_ids: list[str]) -> list[Output]:
        """Move past the current question: the next one (with a follow-up), or the close."""
        nxt = s.index + 1
        if nxt >= len(self.questions):
            return self._close(s)
        self._pick_follow_up(s, topic_ids, nxt)
        s.index = nxt
        s.phase = ASKING
        return [self._question(s)]

    # -- handlers
    def _consent(self, s: State, e: Event) -> list[Output]:
        s.consent = True
        if e.text is not None and e.text.strip():
            s.case = self._case(e.text)
        s.phase, s.index = ASKING, 0
        return [self._question(s)]

    def _decline(self, s: State, e: Event) -> list[Output]:
        s.phase, s.outcome = ENDED, "declined"
        return [Say("flow/declined.j2")]

    def _answer(self, s: State, e: Event) -> list[Output]:
        text = (e.text or "").strip()
        if not text:
            return [Say("flow/empty_answer.j2")]
        qid = self.questions[s.index].id
        s.answers[qid] = text
        if qid in s.skipped:
            s.skipped.remove(qid)
        hits = self.screen.screen(text)  # risk screening FIRST
        matches = self.topics.match(text)
        topic_ids = [m.id for m in matches]
        if hits:
            s.risk[qid] = [h.id for h in hits]
            s.topics[qid] = ["risk"] + [t for t in topic_ids if t != "risk"]
            s.phase = RISK_HOLD
            return [self._risk_alert(s)]
        s.risk.pop(qid, None)
        s.topics[qid] = topic_ids
        passages = self._passages(s, matches)
        out: list[Output] = []
        if matches:
            views = tuple(TopicView(m.id, m.label, m.cues, m.pole) for m in matches)
            out.append(Passages(views, tuple(passages)))
        return out + self._advance(s, topic_ids)

    def _risk_waiting(self, s: State, e: Event) -> list[Output]:
        return [Say("flow/risk_waiting.j2")]

    def _continue(self, s: State, e: Event) -> list[Output]:
        qid = self.questions[s.index].id
        return [Say("flow/continuing.j2")] + self._advance(s, s.topics.get(qid, []))

    def _skip(self, s: State, e: Event) -> list[Output]:
        qid = self.questions[s.index].id
        if qid not in s.answers and qid not in s.skipped:
            s.skipped.append(qid)
        return self._advance(s, [])

    def _back(self, s: State, e: Event) -> list[Output]:
        if s.index == 0:
            return [Say("flow/at_first_question.j2"), self._question(s, revisiting=True)]
        s.index -= 1
        return [self._question(s, revisiting=True)]

    def _back_from_hold(self, s: State, e: Event) -> list[Output]:
        s.phase = ASKING
        return [self._question(s, revisiting=True)]

    def _back_from_closing(self, s: State, e: Event) -> list[Output]:
        s.phase, s.preview = ASKING, None
        s.index = min(s.index, len(self.questions) - 1)
        return [self._question(s, revisiting=True)]

    def _finish(self, s: State, e: Event) -> list[Output]:
        return self._close(s)

    def _pause(self, s: State, e: Event) -> list[Output]:
        s.resume_phase, s.phase = s.phase, PAUSED
        return [Paused(min(s.index + 1, len(self.questions)), len(self.questions))]

    def _still_paused(self, s: State, e: Event) -> list[Output]:
        return [Paused(min(s.index + 1, len(self.questions)), len(self.questions))]

    def _resume(self, s: State, e: Event) -> list[Output]:
        s.phase, s.resume_phase = s.resume_phase or ASKING, None
        return [Say("flow/resumed.j2")] + self._reshow(s, e)

    def _resume_then(self, s: State, e: Event) -> list[Output]:
        s.phase, s.resume_phase = s.resume_phase or ASKING, None
        _, outputs = self.step(s, e, self.resources)
        new = State.from_dict(_.to_dict())
        for f in fields(State):
            setattr(s, f.name, getattr(new, f.name))
        s.turns -= 1
        return outputs

    def _reshow(self, s: State, e: Event) -> list[Output]:
        if s.phase == OPENING:
            return [self._opening(s)]
        if s.phase == RISK_HOLD:
            return [self._risk_alert(s)]
        if s.phase == CLOSING:
            return [self._summary(s), self._preview_output(s)]
        return [self._question(s, revisiting=True)]

    def _help(self, s: State, e: Event) -> list[Output]:
        return [Help(s.phase, commands_in(s.phase))]

    def _ended(self, s: State, e: Event) -> list[Output]:
        return [Ended(s.outcome)]

    # -- closing
    def _close(self, s: State) -> list[Output]:
        s.phase = CLOSING
        s.index = len(self.questions) - 1 if s.index >= len(self.questions) else s.index
        s.preview = self._build_preview(s)
        return [self._summary(s), self._preview_output(s)]

    def _summary(self, s: State) -> Summary:
        qids = [q.id for q in self.questions]
        answered = [qid for qid in qids if qid in s.answers]
        count: Counter[str] = Counter(t for qid in answered for t in dict.fromkeys(s.topics.get(qid, [])))
        order = {t.id: i for i, t in enumerate(self.pack.topics)}
        topics = tuple((t, self.pack.topic(t).label, n) for t, n in sorted(count.items(), key=lambda x: (-x[1], order.get(x[0], 99))))
        chaos, rigidity = count.get("chaos", 0), count.get("rigidity", 0)
        balance = "none" if not (chaos or rigidity) else "chaos" if chaos > rigidity else "rigidity" if rigidity > chaos else "both"
        cats = self.screen.categories
        risk_ids = list(dict.fromkeys(c for qid in answered for c in s.risk.get(qid, [])))
        wanted = {row for t in count for row in self.pack.topic(t).smart}
        smart = tuple(SmartView(r.id, r.goal, r.objective, r.mechanism, r.source) for r in self.pack.smart if r.id in wanted)
        last = next((qid for qid in reversed(answered)), None)
        carry_id = next((t for t in (s.topics.get(last, []) if last else []) if t not in s.followed_up), None)
        number = {qid: i + 1 for i, qid in enumerate(qids)}
        return Summary(
            topics=topics, chaos=chaos, rigidity=rigidity, balance=balance,
            answered=tuple(number[q] for q in answered),
            skipped=tuple(number[q] for q in qids if q in s.skipped and q not in s.answers),
            not_reached=tuple(number[q] for q in qids if q not in s.answers and q not in s.skipped),
            total=len(qids), risk=tuple(RiskView(c, cats[c].label) for c in risk_ids if c in cats),
            smart=smart, carry=self._follow_up_view(carry_id) if carry_id else None,
        )

    def _build_preview(self, s: State) -> dict[str, Any]:
        from bot.core.privacy import scrub

        kinds: Counter[str] = Counter()

        def clean(text: str | None) -> str | None:
            if not text:
                return None
            r = scrub(text)
            kinds.update(x.kind for x in r.redactions)
            return r.text

        items = []
        for i, q in enumerate(self.questions):
            if q.id in s.answers:
                fu = s.follow_ups.get(q.id)
                items.append({"id": q.id, "number": i + 1, "question": q.text, "answer": clean(s.answers[q.id]),
                              "follow_up": self.pack.topic(fu).follow_up if fu else None})
        return {"case": s.case, "seed": clean(s.seed), "items": items,
                "redactions": [[k, n] for k, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))]}

    def _preview_output(self, s: State) -> Preview:
        p = s.preview or self._build_preview(s)
        red = tuple((k, n) for k, n in p["redactions"])
        return Preview(p["case"], p["seed"], tuple(p["items"]), red, sum(n for _, n in red))

    def _save(self, s: State, e: Event) -> list[Output]:
        from bot.core.render import render

        p = s.preview or self._build_preview(s)
        summary = self._summary(s)
        text = render("journal/entry.md.j2", target="plain", preview=p, summary=summary, pack_name=self.pack.name,
                      smart_rows=SmartRows(summary.smart, "journal/smart.md.j2") if summary.smart else None)
        entry = NewEntry(
            text=text, answers={it["id"]: it["answer"] for it in p["items"]},
            topics=[t for t, _label, _n in summary.topics], case=p["case"],
            skipped=[q for q in s.skipped if q not in s.answers], prompt=p["seed"],
        )
        self._wipe(s, "saved")
        return [SaveEntry(entry)]

    def _discard(self, s: State, e: Event) -> list[Output]:
        self._wipe(s, "discarded")
        return [Discarded()]

    @staticmethod
    def _wipe(s: State, outcome: str) -> None:
        """Nothing the person wrote stays in the session once they have decided."""
        s.answers, s.preview, s.seed = {}, None, None
        s.phase, s.outcome = ENDED, outcome


_FLOWS: dict[int, Flow] = {}


def flow_for(pack: Pack | None = None) -> Flow:
    pack = pack or get_pack()
    f = _FLOWS.get(id(pack))
    if f is None or f.pack is not pack:
        f = _FLOWS[id(pack)] = Flow(pack)
    return f


def step(state: State, event: Event, resources: tuple[str, ...] | list[str] = (), pack: Pack | None = None
         ) -> tuple[State, list[Output]]:
    """Pure transition: the new state and what to show. See `TRANSITIONS`."""
    return flow_for(pack).step(state, event, resources)
