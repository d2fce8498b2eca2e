"""Weekly schedule arithmetic: exact UTC instants across DST in three zones, catch-up, weeks.

Expected instants are worked out by hand from known offsets:
New York EST=UTC-5 / EDT=UTC-4 (2026: spring forward Sun 8 Mar 02:00->03:00, fall back Sun 1 Nov 02:00->01:00);
London GMT=UTC+0 / BST=UTC+1 (2026: Sun 29 Mar 01:00->02:00, Sun 25 Oct 02:00->01:00);
Sydney AEST=UTC+10 / AEDT=UTC+11 (southern hemisphere, 2026: fall back Sun 5 Apr 03:00->02:00,
spring forward Sun 4 Oct 02:00->03:00).
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given, settings, strategies as st

from bot.core.schedule import (
    ReminderPref, WeeklySchedule, due_run, next_run, previous_run, reminder_due, runs_between,
    week_bounds, week_key, zone,
)

UTC = timezone.utc
MON, SUN = 0, 6


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def offset(hours: int) -> timedelta:
    return timedelta(hours=hours)


# --- New York -------------------------------------------------------------------------------

def test_new_york_gap_runs_at_first_valid_instant():
    s = WeeklySchedule(SUN, time(2, 30), "America/New_York")
    # Sun 1 Mar: 02:30 EST = 07:30 UTC
    assert next_run(s, utc(2026, 3, 1)) == utc(2026, 3, 1, 2, 30) + offset(5)
    # Sun 8 Mar: 02:30 does not exist; the clocks jump at 02:00 EST = 07:00 UTC (03:00 EDT)
    assert next_run(s, utc(2026, 3, 2)) == utc(2026, 3, 8, 2, 0) + offset(5)
    # Sun 15 Mar: 02:30 EDT = 06:30 UTC
    assert next_run(s, utc(2026, 3, 9)) == utc(2026, 3, 15, 2, 30) + offset(4)


def test_new_york_fall_back_runs_once_at_first_occurrence():
    s = WeeklySchedule(SUN, time(1, 30), "America/New_York")
    runs = runs_between(s, utc(2026, 10, 31), utc(2026, 11, 2))
    # 01:30 happens twice on 1 Nov; first as EDT: 05:30 UTC (the EST one, 06:30 UTC, is skipped)
    assert runs == [utc(2026, 11, 1, 1, 30) + offset(4)]
    assert next_run(s, runs[0]) == utc(2026, 11, 8, 1, 30) + offset(5)


def test_new_york_ordinary_time_moves_with_dst():
    s = WeeklySchedule(MON, time(9, 0), "America/New_York")
    assert runs_between(s, utc(2026, 3, 1), utc(2026, 3, 17)) == [
        utc(2026, 3, 2, 9) + offset(5), utc(2026, 3, 9, 9) + offset(4), utc(2026, 3, 16, 9) + offset(4),
    ]


# --- London ---------------------------------------------------------------------------------

def test_london_gap_and_fold():
    s = WeeklySchedule(SUN, time(1, 30), "Europe/London")
    # 29 Mar: 01:30 does not exist; the jump is 01:00 GMT = 01:00 UTC
    assert next_run(s, utc(2026, 3, 28)) == utc(2026, 3, 29, 1, 0)
    # 25 Oct: 01:30 occurs twice; first as BST = 00:30 UTC, and only once
    assert runs_between(s, utc(2026, 10, 24), utc(2026, 10, 26)) == [utc(2026, 10, 25, 0, 30)]
    # 1 Nov: 01:30 GMT
    assert next_run(s, utc(2026, 10, 25, 0, 30)) == utc(2026, 11, 1, 1, 30)


def test_london_monday_morning_across_spring():
    s = WeeklySchedule(MON, time(9, 0), "Europe/London")
    assert next_run(s, utc(2026, 3, 23, 9, 0)) == utc(2026, 3, 30, 8, 0)  # 09:00 BST
    assert next_run(s, utc(2026, 3, 22)) == utc(2026, 3, 23, 9, 0)  # 09:00 GMT


# --- Sydney (southern hemisphere) -----------------------------------------------------------

def test_sydney_falls_back_in_april():
    s = WeeklySchedule(SUN, time(2, 30), "Australia/Sydney")
    runs = runs_between(s, utc(2026, 4, 3), utc(2026, 4, 6))
    # Sun 5 Apr 02:30 occurs twice; the first is AEDT: 02:30 - 11h = Sat 4 Apr 15:30 UTC
    assert runs == [datetime(2026, 4, 5, 2, 30, tzinfo=UTC) - offset(11)]
    assert next_run(s, runs[0]) == datetime(2026, 4, 12, 2, 30, tzinfo=UTC) - offset(10)


def test_sydney_springs_forward_in_october():
    s = WeeklySchedule(SUN, time(2, 30), "Australia/Sydney")
    # Sun 4 Oct 02:30 does not exist; the jump is 02:00 AEST = Sat 3 Oct 16:00 UTC
    assert next_run(s, utc(2026, 9, 30)) == datetime(2026, 10, 4, 2, 0, tzinfo=UTC) - offset(10)
    assert next_run(s, utc(2026, 10, 4)) == datetime(2026, 10, 11, 2, 30, tzinfo=UTC) - offset(11)


def test_sydney_local_weekday_differs_from_utc_weekday():
    s = WeeklySchedule(MON, time(8, 0), "Australia/Sydney")
    run = next_run(s, utc(2026, 6, 1))
    assert run == datetime(2026, 6, 8, 8, 0, tzinfo=UTC) - offset(10)  # Sunday 22:00 UTC
    assert run.weekday() == SUN and run.astimezone(zone("Australia/Sydney")).weekday() == MON


# --- next / previous / between --------------------------------------------------------------

def test_next_run_is_strictly_after():
    s = WeeklySchedule(MON, time(9, 0), "UTC")
    assert next_run(s, utc(2026, 3, 2, 9, 0)) == utc(2026, 3, 9, 9, 0)
    assert next_run(s, utc(2026, 3, 2, 8, 59, 59)) == utc(2026, 3, 2, 9, 0)
    assert previous_run(s, utc(2026, 3, 2, 9, 0)) == utc(2026, 3, 2, 9, 0)


def test_runs_between_is_half_open():
    s = WeeklySchedule(MON, time(9, 0), "UTC")
    assert runs_between(s, utc(2026, 3, 2, 9), utc(2026, 3, 16, 9)) == [utc(2026, 3, 9, 9), utc(2026, 3, 16, 9)]
    assert runs_between(s, utc(2026, 3, 3), utc(2026, 3, 3)) == []


def test_naive_datetimes_are_refused():
    s = WeeklySchedule(MON, time(9, 0), "UTC")
    with pytest.raises(ValueError, match="aware"):
        next_run(s, datetime(2026, 3, 2))


def test_non_utc_aware_input_is_accepted():
    s = WeeklySchedule(MON, time(9, 0), "Europe/London")
    after = datetime(2026, 3, 23, 4, 0, tzinfo=zone("America/New_York"))  # 08:00 UTC
    assert next_run(s, after) == utc(2026, 3, 23, 9, 0)


# --- validation ------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", ["Mars/Base", "", "../etc/passwd", "America"])
def test_unknown_time_zone(bad):
    with pytest.raises(ValueError) as exc:
        WeeklySchedule(MON, time(9), bad)
    assert str(exc.value) == f"'{bad}' is not a known time zone"


def test_mars_message_exactly():
    with pytest.raises(ValueError, match=r"^'Mars/Base' is not a known time zone$"):
        week_key(utc(2026, 1, 1), "Mars/Base")


@pytest.mark.parametrize("wd", [-1, 7])
def test_bad_weekday(wd):
    with pytest.raises(ValueError):
        WeeklySchedule(wd, time(9), "UTC")


# --- catch-up ------------------------------------------------------------------------------

def test_catch_up_posts_once_late_and_collapses_missed_weeks():
    s = WeeklySchedule(MON, time(9, 0), "UTC")
    last = utc(2026, 3, 2, 9)
    # down from Mon 2 Mar until Fri 20 Mar: the runs of 9 and 16 Mar were missed; one catch-up
    now = utc(2026, 3, 20, 12)
    run = due_run(s, last, now)
    assert run == utc(2026, 3, 16, 9)
    # recorded: asking again (same moment, or later the same week) posts nothing
    assert due_run(s, run, now) is None
    assert due_run(s, run, utc(2026, 3, 23, 8, 59)) is None
    # the next run is due on time
    assert due_run(s, run, utc(2026, 3, 23, 9)) == utc(2026, 3, 23, 9)


def test_catch_up_nearly_a_week_late_is_still_posted_unless_max_late():
    s = WeeklySchedule(MON, time(9, 0), "UTC")
    now = utc(2026, 3, 23, 8, 0)  # 6 days 23 hours after the 16 Mar run
    assert due_run(s, utc(2026, 3, 9, 9), now) == utc(2026, 3, 16, 9)
    assert due_run(s, utc(2026, 3, 9, 9), now, max_late=timedelta(days=1)) is None
    assert due_run(s, utc(2026, 3, 9, 9), utc(2026, 3, 16, 10), max_late=timedelta(days=1)) == utc(2026, 3, 16, 9)


def test_due_run_never_run_and_future_last_run():
    s = WeeklySchedule(MON, time(9, 0), "UTC")
    assert due_run(s, None, utc(2026, 3, 4)) == utc(2026, 3, 2, 9)
    assert due_run(s, utc(2026, 3, 5), utc(2026, 3, 4)) is None  # clock went backwards


def test_catch_up_across_dst_in_new_york():
    s = WeeklySchedule(SUN, time(2, 30), "America/New_York")
    # last ran 1 Mar, down until Tue 10 Mar: the gap-day run (07:00 UTC on 8 Mar) is due once
    run = due_run(s, utc(2026, 3, 1, 7, 30), utc(2026, 3, 10))
    assert run == utc(2026, 3, 8, 7, 0)
    assert due_run(s, run, utc(2026, 3, 10)) is None


# --- weeks ---------------------------------------------------------------------------------

def test_week_key_in_zone():
    assert week_key(utc(2026, 11, 23, 12), "UTC") == "2026-W48"
    # Mon 30 Nov 03:00 UTC is still Sunday evening in New York
    assert week_key(utc(2026, 11, 30, 3), "America/New_York") == "2026-W48"
    assert week_key(utc(2026, 11, 30, 3), "UTC") == "2026-W49"
    # ... and already Monday in Sydney
    assert week_key(utc(2026, 11, 29, 14), "Australia/Sydney") == "2026-W49"
    # ISO year differs from calendar year at the edges
    assert week_key(utc(2027, 1, 1, 12), "UTC") == "2026-W53"


def test_week_bounds():
    assert week_bounds("2026-W48", "America/New_York") == (utc(2026, 11, 23, 5), utc(2026, 11, 30, 5))
    # the week of the spring change is an hour short
    start, end = week_bounds("2026-W10", "America/New_York")
    assert (start, end) == (utc(2026, 3, 2, 5), utc(2026, 3, 9, 4))
    assert end - start == timedelta(days=7, hours=-1)
    # Sydney: local Monday midnight is the previous day in UTC
    assert week_bounds("2026-W15", "Australia/Sydney") == (utc(2026, 4, 5, 14), utc(2026, 4, 12, 14))


@pytest.mark.parametrize("bad", ["2026-48", "2026-W54", "2025-W53", "2026-W00", ""])
def test_bad_week_key(bad):
    with pytest.raises(ValueError):
        week_bounds(bad, "UTC")


# --- reminders -----------------------------------------------------------------------------

def test_reminder_rules():
    pref = ReminderPref(MON, time(18, 0), "Europe/London")
    monday_evening = utc(2026, 3, 2, 18, 30)
    assert reminder_due(pref, None, monday_evening, False)
    assert not reminder_due(pref, None, monday_evening, True)  # already reflected
    assert not reminder_due(pref, utc(2026, 3, 2, 18, 0), monday_evening, False)  # already sent
    # before this week's time, last week's reminder already went out: nothing
    assert not reminder_due(pref, utc(2026, 2, 23, 18), utc(2026, 3, 2, 17, 59), False)
    # missed in downtime, sent late the same week (Wednesday)
    assert reminder_due(pref, utc(2026, 2, 23, 18), utc(2026, 3, 4, 10), False)


def test_reminder_for_a_finished_week_is_not_sent():
    pref = ReminderPref(SUN, time(20, 0), "UTC")
    # Sunday 20:00 was missed; it is Monday now, a new week: no stale nudge
    assert not reminder_due(pref, None, utc(2026, 3, 9, 8), False)


def test_reminder_snooze_postpones():
    pref = ReminderPref(MON, time(18, 0), "UTC", snoozed_until=date(2026, 3, 4))
    assert not reminder_due(pref, None, utc(2026, 3, 2, 19), False)
    assert not reminder_due(pref, None, utc(2026, 3, 3, 23, 59), False)
    assert reminder_due(pref, None, utc(2026, 3, 4, 0, 0), False)  # resumes on the date


def test_reminder_snooze_uses_local_date():
    pref = ReminderPref(MON, time(8, 0), "Australia/Sydney", snoozed_until=date(2026, 6, 9))
    # Mon 8 Jun 22:00 UTC is already Tue 9 Jun 08:00 in Sydney: snooze over, Monday's run due
    assert reminder_due(pref, None, utc(2026, 6, 8, 22), False)
    assert not reminder_due(pref, None, utc(2026, 6, 8, 13), False)  # Mon 23:00 local


# --- properties ----------------------------------------------------------------------------

ZONES = ["America/New_York", "Europe/London", "Australia/Sydney", "UTC", "Asia/Kolkata", "America/Santiago"]
schedules = st.builds(
    WeeklySchedule,
    weekday=st.integers(0, 6),
    time=st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45])),
    tz=st.sampled_from(ZONES),
)
instants = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2037, 12, 1)).map(
    lambda d: d.replace(tzinfo=UTC))


def _on_schedule(s: WeeklySchedule, run: datetime) -> bool:
    z = zone(s.tz)
    local = run.astimezone(z)
    if local.fold:
        return False  # the second occurrence of an ambiguous time is never used
    if local.weekday() == s.weekday and local.time() == s.time:
        return True
    # the documented gap rule: the wall time did not exist, and `run` is the instant of the jump
    before = (run - timedelta(seconds=1)).astimezone(z)
    wall = datetime.combine(before.date(), s.time)
    jumped = before.utcoffset() != local.utcoffset()
    return jumped and before.replace(tzinfo=None) < wall < local.replace(tzinfo=None)


@settings(max_examples=300, deadline=None)
@given(schedules, instants)
def test_next_run_properties(s, after):
    r1 = next_run(s, after)
    r2 = next_run(s, r1)
    assert after < r1 < r2
    assert r1.tzinfo is UTC or r1.utcoffset() == timedelta(0)
    assert _on_schedule(s, r1) and _on_schedule(s, r2)
    assert week_key(r1, s.tz) != week_key(r2, s.tz)
    assert runs_between(s, after, r2) == [r1, r2]  # nothing in between is skipped
    assert previous_run(s, r2 - timedelta(microseconds=1)) == r1


@settings(max_examples=200, deadline=None)
@given(schedules, instants)
def test_exactly_one_run_per_local_week(s, at):
    start, end = week_bounds(week_key(at, s.tz), s.tz)
    assert start <= at < end
    runs = [r for r in runs_between(s, start - timedelta(microseconds=1), end) if r < end]
    assert len(runs) == 1
    assert week_key(runs[0], s.tz) == week_key(at, s.tz)


@settings(max_examples=200, deadline=None)
@given(schedules, instants, st.integers(0, 60 * 24 * 40))
def test_due_run_posts_each_run_at_most_once(s, last, minutes_down):
    now = last + timedelta(minutes=minutes_down)
    run = due_run(s, last, now)
    if run is None:
        assert not runs_between(s, last, now)
    else:
        assert last < run <= now
        assert runs_between(s, last, now)[-1] == run
        assert due_run(s, run, now) is None
