"""Weekly schedule arithmetic in the group's own time zone (pure functions, no clock).

Supervisors think in local wall-clock time ("Mondays 09:00, Europe/London"); the bot stores
and compares aware UTC instants. All offsets come from `zoneinfo` (the IANA database, with
`tzdata` as the fallback), never from hand-written offsets.

Daylight-saving rules (one place, so every caller agrees):
- A local time that does not exist that day (spring-forward gap, e.g. 02:30 in New York on
  the March change day) runs at the first valid instant after the gap, i.e. at the moment the
  clocks jump (03:00 local, 07:00 UTC) -- not an hour late at 03:30.
- A local time that occurs twice (fall-back) runs once, at its first occurrence (fold=0).

Catch-up rule (`due_run`): after downtime the single most recent scheduled instant that is
after the last run is due, and it is due once; older missed weeks collapse into it. Because
only the most recent instant is considered, a catch-up is never more than one period late;
it is still posted, late (pass `max_late` to skip runs that are later than that instead).

Intervals are half-open: `runs_between(start, end)` returns runs with start < run <= end,
and `week_bounds` gives [start, end).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import Iterator
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = timezone.utc
_WEEK_KEY = re.compile(r"^(\d{4})-W(\d{2})$")


@lru_cache(maxsize=256)
def zone(tz: str) -> ZoneInfo:
    """The IANA zone for a name, or ValueError with a message a supervisor understands."""
    try:
        if not isinstance(tz, str) or not tz.strip():
            raise ValueError
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"'{tz}' is not a known time zone") from None


def is_known_zone(tz: str) -> bool:
    """An IANA Area/Location name (or UTC/GMT): the one check for every place that takes a zone."""
    try:
        zone(tz)
    except ValueError:
        return False
    return "/" in tz or tz in ("UTC", "GMT")


def _aware(dt: datetime, what: str) -> datetime:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{what} must be a time-zone-aware datetime")
    return dt.astimezone(UTC)


@dataclass(frozen=True)
class WeeklySchedule:
    """Once a week at a local wall-clock time: weekday 0=Monday .. 6=Sunday."""

    weekday: int
    time: time
    tz: str

    def __post_init__(self) -> None:
        if not isinstance(self.weekday, int) or not 0 <= self.weekday <= 6:
            raise ValueError("weekday must be 0 (Monday) to 6 (Sunday)")
        if self.time.tzinfo is not None:
            raise ValueError("time must be a local wall-clock time without a time zone")
        zone(self.tz)


def local_instant(day: date, at: time, tz: str) -> datetime:
    """The UTC instant of a local date and wall-clock time, with the DST rules above."""
    z = zone(tz)
    naive = datetime.combine(day, at.replace(tzinfo=None, fold=0))
    first = naive.replace(tzinfo=z, fold=0).astimezone(UTC)
    if first.astimezone(z).replace(tzinfo=None) == naive:
        return first  # exists (for an ambiguous time, fold=0 is the first occurrence)
    # In a gap: fold=1 reads the wall time with the offset after the jump, fold=0 with the
    # offset before, so the jump lies between the two. Find it to the second.
    lo, hi = sorted((naive.replace(tzinfo=z, fold=1).astimezone(UTC), first))
    after = hi.astimezone(z).utcoffset()
    lo_s, hi_s = math.floor(lo.timestamp()), math.ceil(hi.timestamp())
    while hi_s - lo_s > 1:  # invariant: the old offset holds at lo_s, the new one at hi_s
        mid = (lo_s + hi_s) // 2
        if datetime.fromtimestamp(mid, UTC).astimezone(z).utcoffset() == after:
            hi_s = mid
        else:
            lo_s = mid
    return datetime.fromtimestamp(hi_s, UTC)


def _run_on(schedule: WeeklySchedule, day: date) -> datetime:
    return local_instant(day, schedule.time, schedule.tz)


def _week_day(schedule: WeeklySchedule, instant: datetime) -> date:
    """The scheduled local date in the local week (Mon..Sun) containing `instant`."""
    local = instant.astimezone(zone(schedule.tz)).date()
    return local - timedelta(days=local.weekday()) + timedelta(days=schedule.weekday)


def next_run(schedule: WeeklySchedule, after: datetime) -> datetime:
    """The first scheduled instant strictly after `after` (aware), as aware UTC."""
    after = _aware(after, "after")
    day = _week_day(schedule, after) - timedelta(days=7)
    while True:
        run = _run_on(schedule, day)
        if run > after:
            return run
        day += timedelta(days=7)


def previous_run(schedule: WeeklySchedule, at_or_before: datetime) -> datetime:
    """The last scheduled instant <= `at_or_before` (aware), as aware UTC."""
    at_or_before = _aware(at_or_before, "at_or_before")
    day = _week_day(schedule, at_or_before) + timedelta(days=7)
    while True:
        run = _run_on(schedule, day)
        if run <= at_or_before:
            return run
        day -= timedelta(days=7)


def iter_runs(schedule: WeeklySchedule, start: datetime, end: datetime) -> Iterator[datetime]:
    """Scheduled instants with start < run <= end, in order."""
    run = next_run(schedule, start)
    end = _aware(end, "end")
    while run <= end:
        yield run
        run = next_run(schedule, run)


def runs_between(schedule: WeeklySchedule, start: datetime, end: datetime) -> list[datetime]:
    """Scheduled instants with start < run <= end (half-open, so adjacent windows never share one)."""
    return list(iter_runs(schedule, start, end))


def due_run(schedule: WeeklySchedule, last_run: datetime | None, now: datetime,
            max_late: timedelta | None = None) -> datetime | None:
    """The one run to post now, or None.

    The most recent scheduled instant <= now, if it is after `last_run`. After downtime this
    posts the missed run once, late; several missed weeks collapse into that one catch-up
    (record the returned instant as the new last_run so it is never posted twice). With
    `last_run=None` (never run) the most recent instant is due; a store that does not want a
    new schedule to fire at once passes the schedule's creation time as last_run. `max_late`
    (default None: always post) skips a catch-up later than that.
    """
    run = previous_run(schedule, now)
    if last_run is not None and run <= _aware(last_run, "last_run"):
        return None
    if max_late is not None and _aware(now, "now") - run > max_late:
        return None
    return run


def week_key(dt: datetime, tz: str) -> str:
    """ISO week of an instant in a zone, like "2026-W48" (weeks start Monday 00:00 local)."""
    iso = _aware(dt, "dt").astimezone(zone(tz)).isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def week_bounds(key: str, tz: str) -> tuple[datetime, datetime]:
    """[start, end) of an ISO week in a zone as aware UTC: local Monday 00:00 to next Monday 00:00."""
    m = _WEEK_KEY.match(key or "")
    if not m:
        raise ValueError(f"'{key}' is not a week like 2026-W48")
    try:
        monday = date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    except ValueError:
        raise ValueError(f"'{key}' is not a week like 2026-W48") from None
    midnight = time(0, 0)
    return local_instant(monday, midnight, tz), local_instant(monday + timedelta(days=7), midnight, tz)


@dataclass(frozen=True)
class ReminderPref:
    """A member's weekly reminder: local weekday/time, optionally snoozed.

    `snoozed_until` is the local date reminders resume on: no reminder is sent while the
    local date is before it. A snooze postpones, so a reminder that fell inside the snooze
    is sent once when it ends (if still the same week and still not reflected).
    """

    weekday: int
    time: time
    tz: str
    snoozed_until: date | None = None

    def schedule(self) -> WeeklySchedule:
        return WeeklySchedule(self.weekday, self.time, self.tz)


def reminder_due(pref: ReminderPref, last_reminded: datetime | None, now: datetime,
                 has_reflected_this_week: bool) -> bool:
    """Whether to nudge this member now: at most once per scheduled time, never after they
    reflected this week, never during a snooze, and never for a week that is already over
    (a reminder missed in downtime is sent late only within the same local week)."""
    if has_reflected_this_week:
        return False
    sched = pref.schedule()
    now = _aware(now, "now")
    if pref.snoozed_until is not None and now.astimezone(zone(pref.tz)).date() < pref.snoozed_until:
        return False
    run = previous_run(sched, now)
    if last_reminded is not None and _aware(last_reminded, "last_reminded") >= run:
        return False
    return week_key(run, pref.tz) == week_key(now, pref.tz)
