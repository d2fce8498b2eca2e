"""The knowledge base: framework packs in content/<pack>/ loaded into typed, validated objects.

A pack is data in one fixed shape (pack.yaml, sections.yaml, smart.yaml, terms.yaml,
questions.yaml, and optionally topics.yaml), so a second therapy framework is a new folder,
not new code. Every claim keeps its source marker: a reference number of the pack, or "LLM"
for generated text with no cited source. Bad content is rejected with messages that name the
file, the entry and the problem.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import yaml

UNCITED = "LLM"
PACK_FILES = ("pack.yaml", "sections.yaml", "smart.yaml", "terms.yaml", "questions.yaml")
ID_RE = re.compile(r"^[a-z0-9][a-z0-9.\-]*$")


class ContentError(Exception):
    """Raised with every problem found, one clear message per problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class Claim:
    """One sentence (or marker-delimited run of sentences) of the source, verbatim."""

    id: str
    section: str
    text: str
    source: str

    @property
    def cited(self) -> bool:
        return self.source != UNCITED


@dataclass(frozen=True)
class Item:
    """A bullet of a list section (problems-for-work): one or more claims."""

    id: str
    claims: tuple[Claim, ...]


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    role: str
    paragraphs: tuple[tuple[Claim, ...], ...]
    items: tuple[Item, ...] = ()

    @property
    def claims(self) -> tuple[Claim, ...]:
        """All claims of the section in source order (paragraphs, then list items)."""
        out = [c for p in self.paragraphs for c in p]
        out += [c for it in self.items for c in it.claims]
        return tuple(out)


@dataclass(frozen=True)
class SmartObjective:
    id: str
    goal: str
    objective: str
    mechanism: str
    source: str

    def as_claim(self, section: str) -> Claim:
        text = f"{self.goal} | {self.objective} | {self.mechanism}"
        return Claim(id=f"smart.{self.id}", section=section, text=text, source=self.source)


@dataclass(frozen=True)
class KeyTerm:
    id: str
    term: str
    definition: str
    source: str

    def as_claim(self, section: str) -> Claim:
        return Claim(id=f"term.{self.id}", section=section, text=f"{self.term} — {self.definition}", source=self.source)


@dataclass(frozen=True)
class Question:
    id: str
    theme: str
    text: str
    source: str

    def as_claim(self, section: str) -> Claim:
        return Claim(id=f"question.{self.id}", section=section, text=self.text, source=self.source)


@dataclass(frozen=True)
class Reference:
    number: int
    title: str
    kind: str


@dataclass(frozen=True)
class TopicRule:
    """A topic as data: its cues, what it pulls from the pack, and one follow-up question."""

    id: str
    label: str
    cues: tuple[str, ...]
    pulls: tuple[str, ...]  # claim ids, in the order they should be offered
    follow_up: str
    terms: tuple[str, ...] = ()
    smart: tuple[str, ...] = ()
    pole: str | None = None  # "chaos" / "rigidity" for the two poles
    # False for reflective topics where "I haven't considered X" still means X is the topic.
    negatable: bool = True
    # False for a topic that is recorded but never answered with theory (risk): pulls optional.
    passages: bool = True


@dataclass(frozen=True)
class Pack:
    id: str
    name: str
    short_name: str
    sections: tuple[Section, ...]
    smart: tuple[SmartObjective, ...]
    terms: tuple[KeyTerm, ...]
    questions: tuple[Question, ...]
    references: tuple[Reference, ...]
    topics: tuple[TopicRule, ...] = ()
    claims_by_id: dict[str, Claim] = field(default_factory=dict, compare=False, repr=False)

    def section(self, section_id: str) -> Section:
        for s in self.sections:
            if s.id == section_id:
                return s
        raise KeyError(section_id)

    def section_by_role(self, role: str) -> Section | None:
        return next((s for s in self.sections if s.role == role), None)

    def claim(self, claim_id: str) -> Claim:
        return self.claims_by_id[claim_id]

    def reference(self, number: int) -> Reference:
        return next(r for r in self.references if r.number == number)

    def term(self, term_id: str) -> KeyTerm:
        return next(t for t in self.terms if t.id == term_id)

    def topic(self, topic_id: str) -> TopicRule:
        """The topic rule with this id (KeyError when there is none)."""
        by_id = self.__dict__.get("_topics_by_id")
        if by_id is None:  # built once: the flow looks topics up several times per answer
            by_id = {t.id: t for t in reversed(self.topics)}  # the first rule of an id wins, as a scan would
            object.__setattr__(self, "_topics_by_id", by_id)
        return by_id[topic_id]

    def all_claims(self) -> Iterator[Claim]:
        """Every claim in source order, SMART rows, key terms and questions included."""
        for s in self.sections:
            yield from s.claims
            if s.role == "smart":
                yield from (row.as_claim(s.id) for row in self.smart)
            elif s.role == "terms":
                yield from (t.as_claim(s.id) for t in self.terms)
            elif s.role == "questions":
                yield from (q.as_claim(s.id) for q in self.questions)

    def counts(self) -> dict[str, int]:
        return {
            "sections": len(self.sections),
            "claims": sum(1 for _ in self.all_claims()),
            "terms": len(self.terms),
            "questions": len(self.questions),
            "smart": len(self.smart),
            "references": len(self.references),
            "topics": len(self.topics),
        }


# Roles of the framework template, in the order the template lays them out. Roles
# whose data lives in their own file have a section with no prose of its own.
TEMPLATE_ROLES = (
    "type", "lineage", "principles", "interventions", "evidence", "populations", "problems",
    "cautions", "smart", "misconceptions", "training", "terms", "references", "questions",
)
REQUIRED_ROLES = ("smart", "terms", "references", "questions")


class _Reader:
    """Collects problems while reading one pack, so all of them are reported at once."""

    def __init__(self, root: Path, display_root: Path | None = None):
        self.root = root
        self.display_root = display_root or root.parent.parent
        self.problems: list[str] = []

    def where(self, filename: str) -> str:
        path = self.root / filename
        try:
            return str(path.relative_to(self.display_root))
        except ValueError:
            return str(path)

    def fail(self, filename: str, entry: str, problem: str) -> None:
        prefix = f"{self.where(filename)}: {entry}: " if entry else f"{self.where(filename)}: "
        self.problems.append(prefix + problem)

    def load(self, filename: str, required: bool = True) -> Any:
        path = self.root / filename
        if not path.exists():
            if required:
                self.fail(filename, "", "file is missing")
            return None
        try:
            return yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            at = f"line {mark.line + 1}" if mark else ""
            self.fail(filename, at, f"not valid YAML ({getattr(exc, 'problem', exc)})")
        except UnicodeDecodeError:
            self.fail(filename, "", "not UTF-8 text")
        return None

    def items(self, filename: str, data: Any, key: str) -> list[Any]:
        if not isinstance(data, dict) or not isinstance(data.get(key), list):
            if data is not None:
                self.fail(filename, key, "missing or not a list")
            return []
        return data[key]

    def text(self, filename: str, entry: str, obj: Any, key: str) -> str:
        value = obj.get(key) if isinstance(obj, dict) else None
        if not isinstance(value, str) or not value.strip():
            self.fail(filename, entry, f"missing field '{key}'")
            return ""
        return value

    def marker(self, filename: str, entry: str, obj: Any, valid: set[str]) -> str:
        value = obj.get("source") if isinstance(obj, dict) else None
        if value is None:
            self.fail(filename, entry, "missing field 'source'")
            return UNCITED
        value = str(value)
        if value not in valid:
            allowed = ", ".join(sorted(valid - {UNCITED}, key=int) + [UNCITED])
            self.fail(filename, entry, f"unknown source marker '{value}' (expected one of {allowed})")
        return value


def load_pack(root: Path) -> Pack:
    """Load and validate one pack folder; raise ContentError listing every problem."""
    r = _Reader(root)
    pack_data = r.load("pack.yaml")
    data = {name: r.load(name) for name in PACK_FILES[1:]}
    if r.problems:
        raise ContentError(r.problems)

    seen_ids: dict[str, str] = {}

    def unique(filename: str, entry: str, ident: str) -> None:
        if not ident:
            return
        if not ID_RE.match(ident):
            r.fail(filename, entry, f"id '{ident}' must be lower-case letters, digits, '.' and '-'")
        if ident in seen_ids:
            r.fail(filename, entry, f"duplicate id '{ident}' (first used in {seen_ids[ident]})")
        else:
            seen_ids[ident] = r.where(filename)

    if not isinstance(pack_data, dict):
        raise ContentError([f"{r.where('pack.yaml')}: must be a mapping with id, name, references"])
    pack_id = r.text("pack.yaml", "id", pack_data, "id")
    references: list[Reference] = []
    for i, ref in enumerate(r.items("pack.yaml", pack_data, "references")):
        entry = f"references[{i}]"
        num = ref.get("number") if isinstance(ref, dict) else None
        if not isinstance(num, int) or num < 1:
            r.fail("pack.yaml", entry, "missing field 'number' (a positive whole number)")
            continue
        if any(x.number == num for x in references):
            r.fail("pack.yaml", entry, f"duplicate reference number {num}")
        references.append(Reference(num, r.text("pack.yaml", entry, ref, "title"), r.text("pack.yaml", entry, ref, "kind")))
    valid = {str(x.number) for x in references} | {UNCITED}

    def claims_of(filename: str, entry: str, raw: Any, section_id: str) -> tuple[Claim, ...]:
        out = []
        if not isinstance(raw, list):
            r.fail(filename, entry, "missing field 'claims' (a list)")
            return ()
        for k, c in enumerate(raw):
            sub = f"{entry}.claims[{k}]"
            cid = c.get("id", "") if isinstance(c, dict) else ""
            if cid:
                sub += f" ({cid})"
            else:
                r.fail(filename, sub, "missing field 'id'")
            unique(filename, sub, cid)
            out.append(Claim(cid, section_id, r.text(filename, sub, c, "text"), r.marker(filename, sub, c, valid)))
        return tuple(out)

    sections: list[Section] = []
    for i, s in enumerate(r.items("sections.yaml", data["sections.yaml"], "sections")):
        entry = f"sections[{i}]"
        sid = s.get("id", "") if isinstance(s, dict) else ""
        if not sid:
            r.fail("sections.yaml", entry, "missing field 'id'")
            continue
        entry += f" ({sid})"
        unique("sections.yaml", entry, sid)
        role = r.text("sections.yaml", entry, s, "role")
        if role and role not in TEMPLATE_ROLES:
            r.fail("sections.yaml", entry, f"unknown role '{role}' (expected one of {', '.join(TEMPLATE_ROLES)})")
        paragraphs = tuple(
            claims_of("sections.yaml", f"{entry}.paragraphs[{j}]", (p or {}).get("claims"), sid)
            for j, p in enumerate(s.get("paragraphs") or [])
        )
        items = []
        for j, it in enumerate(s.get("items") or []):
            iid = (it or {}).get("id", "")
            ientry = f"{entry}.items[{j}]"
            if not iid:
                r.fail("sections.yaml", ientry, "missing field 'id'")
            unique("sections.yaml", ientry, iid)
            items.append(Item(iid, claims_of("sections.yaml", ientry, (it or {}).get("claims"), sid)))
        sections.append(Section(sid, r.text("sections.yaml", entry, s, "title"), role, paragraphs, tuple(items)))
    roles = [s.role for s in sections]
    for role in REQUIRED_ROLES:
        if role not in roles:
            r.fail("sections.yaml", "sections", f"no section with role '{role}'")
    for role in set(roles):
        if roles.count(role) > 1:
            r.fail("sections.yaml", "sections", f"more than one section with role '{role}'")

    def rows(filename: str, key: str, prefix: str, fields: tuple[str, ...]) -> list[tuple[str, list[str], str]]:
        """A list of rows that each have an id, some text fields and a source marker."""
        out = []
        for i, row in enumerate(r.items(filename, data[filename], key)):
            entry = f"{key}[{i}]"
            rid = row.get("id", "") if isinstance(row, dict) else ""
            if not rid:
                r.fail(filename, entry, "missing field 'id'")
            else:
                entry += f" ({rid})"
            unique(filename, entry, f"{prefix}.{rid}" if rid else "")
            out.append((rid, [r.text(filename, entry, row, k) for k in fields], r.marker(filename, entry, row, valid)))
        return out

    smart = [SmartObjective(rid, *texts, src) for rid, texts, src in
             rows("smart.yaml", "smart_objectives", "smart", ("goal", "objective", "mechanism"))]
    terms = [KeyTerm(rid, *texts, src) for rid, texts, src in rows("terms.yaml", "key_terms", "term", ("term", "definition"))]
    questions = [Question(rid, *texts, src) for rid, texts, src in
                 rows("questions.yaml", "questions", "question", ("theme", "text"))]
    if data["questions.yaml"] is not None and not questions:
        r.fail("questions.yaml", "questions", "a pack needs at least one reflective question")

    pack = Pack(
        id=pack_id, name=r.text("pack.yaml", "name", pack_data, "name"),
        short_name=str(pack_data.get("short_name") or pack_id), sections=tuple(sections),
        smart=tuple(smart), terms=tuple(terms), questions=tuple(questions), references=tuple(sorted(references, key=lambda x: x.number)),
    )
    pack.claims_by_id.update({c.id: c for c in pack.all_claims()})
    topics = _load_topics(r, pack)
    if r.problems:
        raise ContentError(r.problems)
    object.__setattr__(pack, "topics", topics)
    return pack


def _load_topics(r: _Reader, pack: Pack) -> tuple[TopicRule, ...]:
    """topics.yaml: each rule's pulls must name sections, claims, terms or SMART rows that exist."""
    data = r.load("topics.yaml", required=False)
    if data is None:
        return ()
    section_ids = {s.id for s in pack.sections}
    term_ids = {t.id for t in pack.terms}
    smart_ids = {s.id for s in pack.smart}
    out, seen = [], set()
    for i, t in enumerate(r.items("topics.yaml", data, "topics")):
        tid = t.get("id", "") if isinstance(t, dict) else ""
        entry = f"topics[{i}]" + (f" ({tid})" if tid else "")
        if not tid:
            r.fail("topics.yaml", entry, "missing field 'id'")
            continue
        if tid in seen:
            r.fail("topics.yaml", entry, f"duplicate id '{tid}'")
        seen.add(tid)
        cues = t.get("cues")
        if not isinstance(cues, list) or not cues or not all(isinstance(c, str) and c.strip() for c in cues):
            r.fail("topics.yaml", entry, "missing field 'cues' (a list of words or phrases)")
            cues = []
        pulls = t.get("pulls") or {}
        if not isinstance(pulls, dict):
            r.fail("topics.yaml", entry, "'pulls' must be a mapping of sections, claims, terms, smart")
            pulls = {}
        claim_ids: list[str] = []
        for sid in pulls.get("sections") or []:
            if sid not in section_ids:
                r.fail("topics.yaml", entry, f"pulls section '{sid}', which does not exist")
            else:
                claim_ids += [c.id for c in pack.section(sid).claims]
        for cid in pulls.get("claims") or []:
            if cid not in pack.claims_by_id:
                r.fail("topics.yaml", entry, f"pulls claim '{cid}', which does not exist")
            else:
                claim_ids.append(cid)
        for term in pulls.get("terms") or []:
            if term not in term_ids:
                r.fail("topics.yaml", entry, f"pulls key term '{term}', which does not exist")
        for row in pulls.get("smart") or []:
            if row not in smart_ids:
                r.fail("topics.yaml", entry, f"pulls SMART objective '{row}', which does not exist")
        passages = t.get("passages", True)
        negatable = t.get("negatable", True)
        for key, value in (("passages", passages), ("negatable", negatable)):
            if not isinstance(value, bool):
                r.fail("topics.yaml", entry, f"'{key}' must be true or false")
        if passages is not False and not claim_ids and not pulls.get("terms"):
            r.fail("topics.yaml", entry, "pulls nothing (give sections, claims or terms, or set passages: false)")
        pole = t.get("pole")
        if pole not in (None, "chaos", "rigidity"):
            r.fail("topics.yaml", entry, f"unknown pole '{pole}' (expected chaos or rigidity)")
        out.append(TopicRule(
            id=tid, label=str(t.get("label") or tid), cues=tuple(c.strip() for c in cues),
            pulls=tuple(dict.fromkeys(claim_ids)), follow_up=r.text("topics.yaml", entry, t, "follow_up"),
            terms=tuple(pulls.get("terms") or ()), smart=tuple(pulls.get("smart") or ()), pole=pole,
            negatable=negatable is not False, passages=passages is not False,
        ))
    return tuple(out)


def load_packs(content_dir: Path) -> dict[str, Pack]:
    """Every pack under content_dir (a folder holding pack.yaml is a pack)."""
    packs: dict[str, Pack] = {}
    problems: list[str] = []
    for folder in sorted(p for p in content_dir.iterdir() if (p / "pack.yaml").exists()):
        try:
            pack = load_pack(folder)
        except ContentError as exc:
            problems += exc.problems
            continue
        packs[pack.id] = pack
    if not packs and not problems:
        problems.append(f"{content_dir}: no framework pack found (a folder with pack.yaml)")
    if problems:
        raise ContentError(problems)
    return packs


_CACHE: dict[Path, dict[str, Pack]] = {}


def get_packs(content_dir: Path | None = None) -> dict[str, Pack]:
    """Load once per process; later calls reuse the validated objects."""
    from bot.paths import CONTENT_DIR

    key = (content_dir or CONTENT_DIR).resolve()
    if key not in _CACHE:
        _CACHE[key] = load_packs(key)
    return _CACHE[key]


def get_pack(pack_id: str = "ipnb", content_dir: Path | None = None) -> Pack:
    packs = get_packs(content_dir)
    if pack_id not in packs:
        raise ContentError([f"no framework pack '{pack_id}' (have: {', '.join(sorted(packs))})"])
    return packs[pack_id]
