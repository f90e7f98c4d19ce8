import random

import pytest

from federation import retry


@pytest.mark.parametrize(
    ("attempt", "seconds"), [(1, 30), (2, 120), (3, 480), (4, 1920), (5, 1920)]
)
def test_inbox_schedule_is_30s_2_8_32_minutes(attempt: int, seconds: float) -> None:
    assert retry.INBOX.delay(attempt) == seconds


def test_inbox_gives_up_after_its_fifth_attempt() -> None:
    assert [retry.INBOX.exhausted(n) for n in range(1, 7)] == [
        False,
        False,
        False,
        False,
        True,
        True,
    ]


def test_delivery_delay_is_jittered_within_half_to_full_ceiling() -> None:
    rng = random.Random(3)
    for attempt in range(1, 30):
        ceiling = min(60.0 * 2 ** (attempt - 1), 12 * 3600.0)
        delay = retry.DELIVERY.delay(attempt, rng=rng)
        assert ceiling * 0.5 <= delay <= ceiling


def test_loop_backoff_doubles_to_a_minute() -> None:
    assert [retry.LOOP.delay(n) for n in range(1, 9)] == [1, 2, 4, 8, 16, 32, 60, 60]


def test_a_schedule_without_attempts_never_gives_up() -> None:
    assert not retry.DELIVERY.exhausted(10_000)
