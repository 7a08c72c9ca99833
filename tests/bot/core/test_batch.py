"""Group commit: concurrent callers share one run; an item's own error is its caller's alone; a
failed run is tried once more, then fails only the callers of that batch."""
from __future__ import annotations

import asyncio

import pytest

from bot.core.batch import GroupCommit


class Store:
    """What `run` wrote: one list per successful run (a transaction), failures on demand."""

    def __init__(self, fail_runs: int = 0) -> None:
        self.committed: list[list[int]] = []
        self.attempts = 0
        self.fail_runs = fail_runs

    async def run(self, items: list[int]) -> list[int | BaseException]:
        self.attempts += 1
        await asyncio.sleep(0.01)  # the database's round trip
        if self.fail_runs:
            self.fail_runs -= 1
            raise ConnectionError("connection lost")
        self.committed.append(list(items))
        return [ValueError(f"bad {i}") if i < 0 else i * 10 for i in items]


async def test_concurrent_callers_share_one_run_each_getting_its_own_outcome() -> None:
    store = Store()
    batcher = GroupCommit(store.run, max_items=64, delay=0.005)
    results = await asyncio.gather(*[batcher.submit(i) for i in (1, 2, -3, 4)], return_exceptions=True)
    assert store.committed == [[1, 2, -3, 4]]
    assert results[:2] == [10, 20] and results[3] == 40
    assert isinstance(results[2], ValueError) and str(results[2]) == "bad -3"


async def test_callers_arriving_during_a_run_form_the_next_batch() -> None:
    store = Store()
    batcher = GroupCommit(store.run, max_items=3, delay=0.001)
    first = [asyncio.ensure_future(batcher.submit(i)) for i in range(5)]
    await asyncio.sleep(0.005)
    later = [asyncio.ensure_future(batcher.submit(i)) for i in range(5, 7)]
    assert await asyncio.gather(*first, *later) == [i * 10 for i in range(7)]
    assert store.committed[0] == [0, 1, 2]  # at most max_items a run
    assert sorted(i for batch in store.committed for i in batch) == list(range(7))


async def test_a_failed_run_is_tried_once_more() -> None:
    store = Store(fail_runs=1)
    batcher = GroupCommit(store.run, delay=0.001)
    assert await asyncio.gather(batcher.submit(1), batcher.submit(2)) == [10, 20]
    assert store.attempts == 2 and store.committed == [[1, 2]]


async def test_a_run_failing_twice_fails_its_callers_only() -> None:
    store = Store(fail_runs=2)
    batcher = GroupCommit(store.run, delay=0.001)
    failed = await asyncio.gather(batcher.submit(1), batcher.submit(2), return_exceptions=True)
    assert all(isinstance(r, ConnectionError) for r in failed)
    assert await batcher.submit(3) == 30  # the next batch is not affected
    assert store.committed == [[3]]


@pytest.mark.parametrize("width", [1, 2])
async def test_no_more_than_width_runs_at_once(width: int) -> None:
    running = peak = 0

    async def run(items: list[int]) -> list[int]:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01)
        running -= 1
        return items

    batcher = GroupCommit(run, max_items=2, delay=0.0, width=width)
    assert await asyncio.gather(*[batcher.submit(i) for i in range(10)]) == list(range(10))
    assert peak == width


async def test_one_caller_after_another_is_never_left_waiting() -> None:
    store = Store()
    batcher = GroupCommit(store.run, delay=0.001)
    for i in range(5):  # each arrives just as the previous batch's drainer finishes
        assert await asyncio.wait_for(batcher.submit(i), 2) == i * 10
    assert store.committed == [[0], [1], [2], [3], [4]]


async def test_a_second_batch_starts_beside_the_first_only_once_spill_items_wait() -> None:
    sizes: list[int] = []
    running = peak = 0

    async def run(items: list[int]) -> list[int]:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        sizes.append(len(items))
        await asyncio.sleep(0.02)
        running -= 1
        return items

    batcher = GroupCommit(run, max_items=64, delay=0.0, width=2, spill=4)
    first = asyncio.ensure_future(batcher.submit(0))
    await asyncio.sleep(0.005)  # the first batch is running
    few = [asyncio.ensure_future(batcher.submit(i)) for i in (1, 2, 3)]  # fewer than spill: they wait
    await asyncio.sleep(0.005)
    assert peak == 1
    many = [asyncio.ensure_future(batcher.submit(i)) for i in range(4, 12)]  # now enough: a second batch
    assert await asyncio.gather(first, *few, *many) == list(range(12))  # nobody left behind
    assert peak == 2 and sizes[0] == 1 and sum(sizes) == 12


async def test_a_settling_batch_takes_callers_of_the_next_turns_then_goes_without_waiting_out_its_delay() -> None:
    """`settle`: callers that join a turn or two of the event loop later (tasks woken by the
    commit of another batch, say) are in the batch, which then starts at once rather than after
    `delay`."""
    store = Store()
    batcher = GroupCommit(store.run, delay=60, settle=True)

    async def after(turns: int, item: int) -> int:
        for _ in range(turns):
            await asyncio.sleep(0)
        return await batcher.submit(item)

    results = await asyncio.wait_for(asyncio.gather(*[after(i % 3, i) for i in range(6)]), 5)
    assert results == [i * 10 for i in range(6)]
    assert store.committed == [[0, 3, 1, 4, 2, 5]]  # one run, in the order they came
    # a caller alone does not wait out the delay either
    assert await asyncio.wait_for(batcher.submit(7), 5) == 70 and store.committed[-1] == [7]


async def test_a_settling_batch_waits_for_its_feeders_batch_in_the_making_and_takes_its_callers_too() -> None:
    """Two stages over one writer (SQLite: the inbox's store, then its processing): the callers
    of a store batch that was on its way join the processing batch of the callers before them,
    instead of each group going through the two stages on its own, twice the transactions."""
    writer = asyncio.Lock()
    sizes: list[int] = []

    async def store(items: list[int]) -> list[int]:
        async with writer:
            await asyncio.sleep(0.01)
        return items

    async def process(items: list[int]) -> list[int]:
        async with writer:
            sizes.append(len(items))
            await asyncio.sleep(0.01)
        return [i * 10 for i in items]

    stores = GroupCommit(store, delay=0.001)
    processes = GroupCommit(process, delay=0.001, settle=True, feeder=stores)

    async def request(item: int) -> int:
        await stores.submit(item)
        return await processes.submit(item)

    first = [asyncio.ensure_future(request(i)) for i in range(4)]
    await asyncio.sleep(0.005)  # the first group's store is running: the second one's comes next
    second = [asyncio.ensure_future(request(i)) for i in range(4, 8)]
    assert await asyncio.gather(*first, *second) == [i * 10 for i in range(8)]
    assert sizes == [8]
