import random
from datetime import UTC, datetime, timedelta

import pytest

from federation.delivery.breaker import COOLDOWN, MAX_COOLDOWN, OPEN_AFTER, Breaker
from federation.delivery.plan import Recipient, plan_inboxes
from federation.delivery.policy import (
    MAX_UNAUTHORIZED,
    Done,
    GiveUp,
    Outcome,
    RemoveRecipient,
    Retry,
    backoff,
    next_step,
    retry_after,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _step(
    status: int | None,
    attempt: int = 1,
    headers: dict[str, str] | None = None,
    first: datetime = NOW,
) -> Outcome:
    return next_step(
        attempt=attempt,
        status=status,
        headers=headers or {},
        now=NOW,
        first_attempt_at=first,
        rng=random.Random(1),
    )


@pytest.mark.parametrize("status", [200, 202, 204])
def test_2xx_is_done(status: int) -> None:
    assert _step(status) == Done()


def test_410_removes_the_recipient() -> None:
    assert isinstance(_step(410), RemoveRecipient)


@pytest.mark.parametrize("status", [400, 403, 404, 422])
def test_other_4xx_give_up_at_once(status: int) -> None:
    assert isinstance(_step(status), GiveUp)


def test_a_401_is_retried_a_few_times_then_given_up() -> None:
    """A clock, key or scheme problem on one side: worth a few more signed attempts."""
    for attempt in range(1, MAX_UNAUTHORIZED):
        assert isinstance(_step(401, attempt=attempt), Retry), attempt
    outcome = _step(401, attempt=MAX_UNAUTHORIZED)
    assert isinstance(outcome, GiveUp)
    assert "401" in outcome.reason


@pytest.mark.parametrize("status", [500, 502, 503, None, 408])
def test_5xx_timeouts_and_connection_errors_retry_later(status: int | None) -> None:
    outcome = _step(status)
    assert isinstance(outcome, Retry)
    assert outcome.at > NOW


def test_backoff_grows_exponentially_and_is_capped() -> None:
    rng = random.Random(7)
    delays = [backoff(n, rng=rng) for n in range(1, 20)]
    assert delays[0] <= timedelta(seconds=60)
    assert delays[5] > timedelta(minutes=15)
    assert max(delays) <= timedelta(hours=12)


def test_429_honours_retry_after_seconds_and_dates() -> None:
    outcome = _step(429, headers={"retry-after": "120"})
    assert outcome == Retry(NOW + timedelta(seconds=120), "HTTP 429")
    date = "Mon, 23 Nov 2026 13:00:00 GMT"
    assert retry_after(date, NOW) == NOW + timedelta(hours=1)
    assert retry_after("garbage", NOW) is None


def test_gives_up_after_about_a_week() -> None:
    outcome = _step(503, attempt=30, first=NOW - timedelta(days=7))
    assert isinstance(outcome, GiveUp)
    assert "7 days" in outcome.reason


def test_plan_dedupes_shared_inboxes_and_drops_local_and_blocked() -> None:
    recipients = [
        Recipient(
            "https://m.example/users/a",
            "https://m.example/users/a/inbox",
            "https://m.example/inbox",
        ),
        Recipient(
            "https://m.example/users/b",
            "https://m.example/users/b/inbox",
            "https://m.example/inbox",
        ),
        Recipient("https://solo.example/u/c", "https://solo.example/u/c/inbox"),
        Recipient(
            "https://evil.example/u/d",
            "https://evil.example/u/d/inbox",
            "https://other.example/inbox",
        ),
        Recipient(
            "https://us.example/actors/x",
            "https://us.example/actors/x/inbox",
            "https://us.example/inbox",
        ),
        Recipient("https://blocked.example/u/e", "https://blocked.example/u/e/inbox"),
    ]
    inboxes = plan_inboxes(
        recipients,
        local_base="https://us.example",
        blocked_hosts=frozenset({"blocked.example"}),
    )
    assert inboxes == [
        "https://m.example/inbox",
        "https://solo.example/u/c/inbox",
        "https://evil.example/u/d/inbox",
    ]


def test_breaker_opens_after_repeated_failures_and_probes_after_cooldown() -> None:
    breaker = Breaker()
    for _ in range(OPEN_AFTER - 1):
        breaker = breaker.record(False, NOW)
        assert breaker.allows(NOW)
    breaker = breaker.record(False, NOW)
    assert not breaker.allows(NOW)
    assert breaker.open_until is not None
    assert breaker.allows(breaker.open_until)
    assert breaker.record(True, NOW) == Breaker()


def test_failures_heard_while_open_neither_extend_nor_reopen_the_breaker() -> None:
    breaker = Breaker()
    for _ in range(OPEN_AFTER):
        breaker = breaker.record(False, NOW)
    opened = breaker
    assert opened.openings == 1
    assert opened.open_until == NOW + COOLDOWN
    # the deliveries that were in flight when it opened fail too: nothing changes
    for seconds in range(1, 120):
        breaker = breaker.record(False, NOW + timedelta(seconds=seconds))
    assert breaker == opened


def test_a_failed_probe_reopens_with_a_cooldown_doubled_per_opening_up_to_the_cap() -> (
    None
):
    breaker = Breaker()
    for _ in range(OPEN_AFTER):
        breaker = breaker.record(False, NOW)
    cooldowns = []
    for _ in range(12):
        assert breaker.open_until is not None
        probe_at = breaker.open_until
        assert breaker.state(probe_at) == "half_open"
        assert breaker.allows(probe_at)
        breaker = breaker.record(False, probe_at)  # one failed probe: open again
        assert breaker.open_until is not None
        cooldowns.append(breaker.open_until - probe_at)
    assert cooldowns[:3] == [COOLDOWN * 2, COOLDOWN * 4, COOLDOWN * 8]
    assert cooldowns[-1] == MAX_COOLDOWN
    assert breaker.record(True, NOW + 100 * MAX_COOLDOWN) == Breaker()  # a good probe


def test_a_boost_goes_only_where_someone_does_not_have_the_object_yet() -> None:
    from federation.delivery.plan import uncovered

    covered = {"https://m.example/inbox": {"alice"}}  # alice follows the author
    node = {
        "https://m.example/inbox": {"alice", "bob"},
        "https://g.example/inbox": {"cy"},
    }
    needed, covered = uncovered(node, covered)
    assert needed == ["https://m.example/inbox", "https://g.example/inbox"]
    cluster = {
        "https://m.example/inbox": {"bob"},
        "https://g.example/inbox": {"cy", "di"},
    }
    needed, covered = uncovered(cluster, covered)
    assert needed == ["https://g.example/inbox"]  # bob has it from the node's boost
    assert covered["https://g.example/inbox"] == {"cy", "di"}
