"""Group commit: messages that arrive together share a transaction, yet each person's messages
keep their order, a failing handler costs only its own message, and a repeated delivery inside
one batch is handled once."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from fastapi import FastAPI
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.inbound.batch import LINGER_TURNS, Batcher
from bot.inbound.dispatch import Dispatcher, Outcome
from handlers.conversation import router
from handlers.envelopes import Inbound
from messages.render import render
from storage.models import Conversation, OutboxMessage
from tests.fakes.clock import FakeClock
from tests.fakes.roster import make_staff, make_student


def _spy_batches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    sizes: list[int] = []
    together = Dispatcher._together

    async def spy(self: Dispatcher, batch: list[Any], **options: Any) -> list[Outcome]:
        sizes.append(len(batch))
        return await together(self, batch, **options)

    monkeypatch.setattr(Dispatcher, "_together", spy)
    return sizes


def _say(app: FastAPI, clock: FakeClock) -> Callable[[str, str, str], Awaitable[Outcome]]:
    dispatcher: Dispatcher = app.state.dispatcher

    def say(code: str, msgid: str, text: str) -> Awaitable[Outcome]:
        inbound = Inbound("simulator", code, msgid, clock.now(), text=text)
        return dispatcher.dispatch(inbound, delivered=True)

    return say


def _texts(outcome: Outcome) -> str:
    return "\n".join(d.message.text or "" for d in outcome.replies)


async def test_messages_arriving_together_share_a_transaction_in_arrival_order(
    app: FastAPI, session: AsyncSession, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    mentor = await make_staff(session, name="李老师", code="T1")
    await make_staff(session, name="王老师", code="T2")
    await make_student(session, name="张三", team={"student_affairs": mentor})
    await session.commit()
    sizes = _spy_batches(monkeypatch)
    say = _say(app, clock)

    start, answer, help_ = await asyncio.gather(
        say("T1", "m1", "记录"), say("T1", "m2", "1"), say("T2", "m3", "帮助")
    )

    assert sizes == [3]
    assert "张三" in _texts(start)  # the form asks which student
    assert _texts(answer) != _texts(start)  # the second message answered the first's question
    assert "记录" in _texts(help_)
    await session.rollback()
    conversation = (
        await session.exec(select(Conversation).where(Conversation.person_id == mentor.id))
    ).one()
    assert (conversation.form, conversation.step) == ("visit", "kind")


async def test_a_failing_handler_costs_only_its_own_message(
    app: FastAPI, session: AsyncSession, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await make_staff(session, code="T1")
    await make_staff(session, code="T2")
    await session.commit()
    answer = router.answer

    async def fragile(inbound: Inbound, *args: Any) -> Any:
        if inbound.text == "坏":
            raise RuntimeError("a handler bug")
        return await answer(inbound, *args)

    monkeypatch.setattr(router, "answer", fragile)
    say = _say(app, clock)

    good, bad = await asyncio.gather(say("T1", "g1", "帮助"), say("T2", "b1", "坏"))

    assert "记录" in _texts(good)
    assert _texts(bad) == render("internal_error")
    await session.rollback()
    keys = (await session.exec(select(OutboxMessage.idempotency_key))).all()
    assert sorted(keys) == ["reply:simulator:b1:0", "reply:simulator:g1:0"]  # nothing twice


async def test_the_same_delivery_twice_in_one_batch_is_handled_once(
    app: FastAPI, session: AsyncSession, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await make_staff(session, code="T1")
    await session.commit()
    sizes = _spy_batches(monkeypatch)
    say = _say(app, clock)

    first, again = await asyncio.gather(say("T1", "same", "帮助"), say("T1", "same", "帮助"))

    assert sizes == [2]
    assert not first.duplicate and first.replies
    assert again.duplicate and not again.replies
    await session.rollback()
    rows = (
        await session.exec(
            select(OutboxMessage).where(col(OutboxMessage.idempotency_key).startswith("reply:"))
        )
    ).all()
    assert len(rows) == 1


@pytest.mark.parametrize("linger", [0, LINGER_TURNS])
async def test_batcher_never_runs_one_key_in_two_batches_and_keeps_its_order(linger: int) -> None:
    seen: list[tuple[str, int]] = []
    active: set[str] = set()

    async def handle(items: list[tuple[str, int]]) -> list[int]:
        keys = {key for key, _ in items}
        assert not keys & active  # no key in two batches at once
        active.update(keys)
        await asyncio.sleep(0.01)
        seen.extend(items)
        active.difference_update(keys)
        return [n for _, n in items]

    batcher: Batcher[tuple[str, int], int] = Batcher(handle, workers=3, max_size=4, linger=linger)
    items = [(key, n) for n in range(6) for key in "abc"]
    results = await asyncio.gather(*(batcher.submit(i, key=i[0]) for i in items))

    assert results == [n for _, n in items]
    for key in "abc":
        assert [n for k, n in seen if k == key] == list(range(6))


@pytest.mark.parametrize("linger", [0, LINGER_TURNS])
async def test_messages_a_loop_turn_apart_share_a_batch_only_when_the_worker_lingers(
    linger: int,
) -> None:
    """Callbacks reach `submit` a turn or two apart (each is read and decrypted first): a
    lingering worker takes them together, one that takes at once runs the first alone."""
    batches: list[list[str]] = []

    async def handle(items: list[str]) -> list[str]:
        batches.append(items)
        return items

    batcher: Batcher[str, str] = Batcher(handle, linger=linger)
    first = asyncio.create_task(batcher.submit("A", key="a"))
    await asyncio.sleep(0)  # A is waiting, its worker was started
    second = asyncio.create_task(batcher.submit("B", key="b"))

    assert await asyncio.gather(first, second) == ["A", "B"]
    assert batches == ([["A", "B"]] if linger else [["A"], ["B"]])


async def test_a_lone_message_waits_only_the_lingering_turns() -> None:
    """No timer, no waiting for company: lingering costs a lone message its turns, no more."""

    async def handle(items: list[str]) -> list[str]:
        return items

    async def turns_until_done(linger: int) -> int:
        batcher: Batcher[str, str] = Batcher(handle, linger=linger)
        alone = asyncio.create_task(batcher.submit("A", key="a"))
        turns = 0
        while not alone.done():
            await asyncio.sleep(0)
            turns += 1
        assert alone.result() == "A"
        return turns

    assert await turns_until_done(LINGER_TURNS) == await turns_until_done(0) + LINGER_TURNS


async def _batches_of_items_a_turn_apart(
    count: int, expecting: Callable[[], bool], *, max_size: int = 64, seconds: float = 60.0
) -> list[list[int]]:
    """Submit `count` items one loop turn apart to a batcher told `expecting`."""
    batches: list[list[int]] = []

    async def handle(items: list[int]) -> list[int]:
        batches.append(items)
        return items

    batcher: Batcher[int, int] = Batcher(
        handle, max_size=max_size, expecting=expecting, expect_seconds=seconds
    )
    calls = []
    for n in range(count):
        calls.append(asyncio.create_task(batcher.submit(n, key=n)))
        await asyncio.sleep(0)
    assert await asyncio.wait_for(asyncio.gather(*calls), 10) == list(range(count))
    return batches


async def test_a_worker_told_more_is_coming_waits_for_it() -> None:
    """The outbox's results arrive a send apart: expected, they share one write; not
    expected, each goes alone as before."""
    unsent = 5  # as the sender counts: an item is expected no more once it is submitted

    batches: list[list[int]] = []

    async def handle(items: list[int]) -> list[int]:
        batches.append(items)
        return items

    batcher: Batcher[int, int] = Batcher(handle, expecting=lambda: unsent > 0, expect_seconds=60)

    async def result(n: int) -> int:
        nonlocal unsent
        unsent -= 1
        return await batcher.submit(n, key=n)

    calls = []
    for n in range(5):
        calls.append(asyncio.create_task(result(n)))
        await asyncio.sleep(0)
    assert await asyncio.wait_for(asyncio.gather(*calls), 10) == list(range(5))
    assert batches == [[0, 1, 2, 3, 4]]  # the last one's arrival ended the wait at once

    assert await _batches_of_items_a_turn_apart(3, lambda: False) == [[0], [1], [2]]


async def test_an_expecting_worker_takes_a_full_batch_at_once() -> None:
    batches = await _batches_of_items_a_turn_apart(5, lambda: True, max_size=2, seconds=0.05)
    assert batches[0] == [0, 1] and sorted(n for b in batches for n in b) == list(range(5))


async def test_an_expectation_never_met_delays_an_item_only_until_time_is_up() -> None:
    """A send that never reports back (a bug, a hang) must not strand the others' results:
    they are written once `expect_seconds` have passed."""
    batches = await _batches_of_items_a_turn_apart(2, lambda: True, seconds=0.05)
    assert sorted(n for b in batches for n in b) == [0, 1]


async def test_a_cancelled_caller_does_not_cancel_the_work() -> None:
    done: list[int] = []
    release = asyncio.Event()

    async def handle(items: list[int]) -> list[int]:
        await release.wait()
        done.extend(items)
        return items

    batcher: Batcher[int, int] = Batcher(handle)
    caller = asyncio.create_task(batcher.submit(7, key="k"))
    await asyncio.sleep(0)
    caller.cancel()
    release.set()
    for _ in range(5):
        await asyncio.sleep(0)
    assert done == [7]


async def test_a_job_submitted_as_the_last_worker_retires_is_not_stranded() -> None:
    """The worker's `_take` came back empty but its done-callback has not run yet: a job
    submitted in that loop turn must still be handled."""

    async def handle(items: list[str]) -> list[str]:
        return items  # returns without awaiting: the worker ends one turn after it started

    batcher: Batcher[str, str] = Batcher(handle, workers=1)
    first = asyncio.create_task(batcher.submit("A", key="a"))
    await asyncio.sleep(0)  # the worker ran A and found nothing more to take
    second = asyncio.create_task(batcher.submit("B", key="b"))
    for _ in range(10):
        await asyncio.sleep(0)

    assert first.done() and first.result() == "A"
    assert second.done() and second.result() == "B"
    assert not batcher._waiting and not batcher._running


async def test_a_worker_cancelled_mid_batch_leaves_the_rest_to_another() -> None:
    release = asyncio.Event()
    calls: list[list[int]] = []

    async def handle(items: list[int]) -> list[int]:
        calls.append(items)
        if items == [1]:
            await release.wait()
        return items

    batcher: Batcher[int, int] = Batcher(handle, workers=1)
    first = asyncio.create_task(batcher.submit(1, key="k"))
    await asyncio.sleep(0)
    second = asyncio.create_task(batcher.submit(2, key="j"))
    await asyncio.sleep(0)
    for worker in list(batcher._running):
        worker.cancel()
    for _ in range(10):
        await asyncio.sleep(0)

    assert second.done() and second.result() == 2
    assert calls == [[1], [2]]
    first.cancel()


async def test_staggered_submissions_are_all_answered() -> None:
    """Bounded stress: 400 submissions at staggered moments over two workers, each handler
    taking zero or a few loop turns; every one is answered and nothing is left behind."""
    rng = random.Random(9)

    async def handle(items: list[int]) -> list[int]:
        for _ in range(rng.randrange(3)):
            await asyncio.sleep(0)
        return items

    batcher: Batcher[int, int] = Batcher(handle, workers=2, max_size=8)

    async def later(n: int) -> int:
        for _ in range(rng.randrange(4)):
            await asyncio.sleep(0)
        return await batcher.submit(n, key=n % 17)

    results = await asyncio.wait_for(asyncio.gather(*(later(n) for n in range(400))), 10)

    assert results == list(range(400))
    assert not batcher._waiting and not batcher._running
