"""The background-loop runner: any exception is counted and survived; stop ends it."""

import asyncio

from node.runtime import loops


async def test_a_loop_survives_any_exception_and_goes_on() -> None:
    state = loops.LoopState("inbox_0")
    stop = asyncio.Event()
    errors: list[str] = []
    rounds = 0

    async def round_() -> float:
        nonlocal rounds
        rounds += 1
        if rounds <= 2:
            raise RuntimeError("driver lost track of the connection")
        if rounds == 4:
            stop.set()
        return 0.0

    task = asyncio.create_task(loops.run(state, round_, stop, on_error=errors.append))
    await asyncio.wait_for(task, timeout=10)  # 1 s + 2 s of backoff, then two rounds
    assert rounds == 4
    assert errors == ["inbox_0", "inbox_0"]
    assert state.errors == 2
    assert state.last_error == "RuntimeError: driver lost track of the connection"
    assert not state.running


async def test_a_wakeup_starts_the_next_round_early() -> None:
    state = loops.LoopState("polls")
    stop, wakeup = asyncio.Event(), asyncio.Event()
    seen: list[int] = []

    async def round_() -> float:
        seen.append(len(seen))
        if len(seen) == 2:
            stop.set()
        return 3600.0  # an hour: only the wakeup can start round two

    task = asyncio.create_task(loops.run(state, round_, stop, wakeup=wakeup))
    await asyncio.sleep(0.05)
    assert state.running
    wakeup.set()
    await asyncio.wait_for(task, timeout=5)
    assert seen == [0, 1]


async def test_stop_ends_a_loop_that_waits() -> None:
    state = loops.LoopState("catch_up")
    stop = asyncio.Event()

    async def round_() -> float:
        return 3600.0

    task = asyncio.create_task(loops.run(state, round_, stop, first_wait=3600.0))
    await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(task, timeout=5)
    assert not state.running
