"""Group commit: concurrent callers' items go to the database together, in one transaction.

    batcher = GroupCommit(write_rows, max_items=64, delay=0.001)
    result = await batcher.submit(item)   # returns when the transaction holding `item` committed

`run(items)` gets the items of one batch (in arrival order) and returns one outcome per item: a
value, or an exception instance (that item's caller gets it raised; the others are unaffected).
When `run` itself raises, the batch is run once more (a broken connection, a deadlock victim);
if that fails too, every caller of the batch gets the exception and nothing of theirs was
committed. `width` batches run at a time (one by default); while they do, the next one fills up.
A batch beside one already running starts only once `spill` items wait for it: on a lightly
loaded process, one batch at a time makes fewer, fuller transactions (less CPU per item). With
`settle`, a batch waits for callers only while each turn of the event loop brings more (callers
that are tasks woken together, by another batch's commit: they have all come within a turn or
two, and waiting out `delay` would leave the process idle).
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from bot.core import metrics

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

Run = Callable[[list[T]], Awaitable[Sequence["R | BaseException"]]]
FEED_WAIT = 0.05  # seconds a settling batch waits for its feeder's batch at most


class GroupCommit(Generic[T, R]):
    def __init__(self, run: Run, *, max_items: int = 64, delay: float = 0.001, width: int = 1,
                 spill: int = 1, settle: bool = False, feeder: GroupCommit | None = None,
                 name: str = "batch") -> None:
        """`width`: batches in flight at once (PostgreSQL: while one waits for the database,
        the next is built; SQLite has one writer); `spill`: items waiting before a batch starts
        beside a running one; `settle`: wait for callers only while they keep coming; `feeder`:
        the batches whose callers come here next (settling, a batch waits for the feeder's
        batch in the making, at most `FEED_WAIT`)."""
        self.run, self.max_items, self.delay, self.width, self.name = run, max_items, delay, width, name
        self.spill, self.settle, self.feeder = spill, settle, feeder
        self._running = 0  # batches in `run`
        self._ended = asyncio.Event()  # set when a batch has ended (then replaced)
        self._pending: list[tuple[T, asyncio.Future]] = []
        self._tasks: set[asyncio.Task] = set()  # kept referenced while they run
        self._draining = 0  # drainers that have not given up yet (counted synchronously)
        self._collecting = 0  # drainers waiting for a batch to fill
        self._full = asyncio.Event()

    async def submit(self, item: T) -> R:
        future = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if len(self._pending) >= self.max_items:
            self._full.set()
        if self._collecting == 0 and self._draining < self.width and (
                self._draining == 0 or len(self._pending) >= self.spill):
            self._draining += 1
            task = asyncio.create_task(self._drain(), name=f"group-commit-{self.name}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await future

    async def _drain(self) -> None:
        try:
            await self._drain_pending()
        finally:
            self._draining -= 1  # in the same step as the last look at `_pending`: no item is left behind

    async def _drain_pending(self) -> None:
        while self._pending:
            if len(self._pending) < self.max_items and self.delay > 0:
                # let concurrent callers join this batch (at most `delay`, less when it fills)
                await (self._settle() if self.settle else self._fill())
            batch, self._pending = self._pending[:self.max_items], self._pending[self.max_items:]
            if batch:
                await self._one(batch)

    async def _fill(self) -> None:
        """Wait until the batch is full or `delay` has passed."""
        self._collecting += 1
        self._full.clear()
        try:
            await asyncio.wait_for(self._full.wait(), self.delay)
        except TimeoutError:
            pass
        finally:
            self._collecting -= 1

    @property
    def busy(self) -> bool:
        """A batch is running or in the making."""
        return bool(self._pending) or self._running > 0

    async def batch_ended(self, timeout: float) -> None:
        """Until the batch running, or the next one to run, has ended (at most `timeout`)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ended.wait(), timeout)

    async def _settle(self) -> None:
        """Wait while callers keep joining: until two turns of the event loop bring none (a woken
        task submits in the turn after its wake-up), the batch is full, or `delay` has passed;
        first for the end of the feeder's batch, if one is on its way (its callers come next)."""
        loop = asyncio.get_running_loop()
        self._collecting += 1
        try:
            if self.feeder is not None and self.feeder.busy:
                await self.feeder.batch_ended(FEED_WAIT)
            deadline = loop.time() + self.delay
            while len(self._pending) < self.max_items and loop.time() < deadline:
                before = len(self._pending)
                await asyncio.sleep(0)
                await asyncio.sleep(0)
                if len(self._pending) == before:
                    return
        finally:
            self._collecting -= 1

    async def _one(self, batch: list[tuple[T, asyncio.Future]]) -> None:
        items = [item for item, _ in batch]
        metrics.GROUP_COMMIT_ITEMS.labels(self.name).observe(len(items))
        self._running += 1
        try:
            try:
                outcomes = await self.run(items)
            except Exception:
                log.warning("a group commit failed; retried once", extra={"batch": self.name, "size": len(items)},
                            exc_info=True)
                outcomes = await self.run(items)
        except Exception as exc:
            log.exception("a group commit failed twice; its callers get the error",
                          extra={"batch": self.name, "size": len(items)})
            outcomes = [exc] * len(items)
        finally:
            self._running -= 1
            ended, self._ended = self._ended, asyncio.Event()
            ended.set()
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            if future.done():  # the caller went away
                continue
            if isinstance(outcome, BaseException):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)
