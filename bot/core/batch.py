"""Group commit: concurrent callers' items go to the database together, in one transaction.

    batcher = GroupCommit(write_rows, max_items=64, delay=0.001)
    result = await batcher.submit(item)   # returns when the transaction holding `item` committed

`run(items)` gets the items of one batch (in arrival order) and returns one outcome per item: a
value, or an exception instance (that item's caller gets it raised; the others are unaffected).
When `run` itself raises, the batch is run once more (a broken connection, a deadlock victim);
if that fails too, every caller of the batch gets the exception and nothing of theirs was
committed. One batch runs at a time; while it does, the next one fills up.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from bot.core import metrics

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

Run = Callable[[list[T]], Awaitable[Sequence["R | BaseException"]]]


class GroupCommit(Generic[T, R]):
    def __init__(self, run: Run, *, max_items: int = 64, delay: float = 0.001, name: str = "batch") -> None:
        self.run, self.max_items, self.delay, self.name = run, max_items, delay, name
        self._pending: list[tuple[T, asyncio.Future]] = []
        self._task: asyncio.Task | None = None
        self._full = asyncio.Event()

    async def submit(self, item: T) -> R:
        future = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if len(self._pending) >= self.max_items:
            self._full.set()
        if self._task is None:
            self._task = asyncio.create_task(self._drain(), name=f"group-commit-{self.name}")
        return await future

    async def _drain(self) -> None:
        try:
            while self._pending:
                if len(self._pending) < self.max_items and self.delay > 0:
                    # let concurrent callers join this batch (at most `delay`, less when it fills)
                    self._full.clear()
                    try:
                        await asyncio.wait_for(self._full.wait(), self.delay)
                    except TimeoutError:
                        pass
                batch, self._pending = self._pending[:self.max_items], self._pending[self.max_items:]
                await self._one(batch)
        finally:
            self._task = None

    async def _one(self, batch: list[tuple[T, asyncio.Future]]) -> None:
        items = [item for item, _ in batch]
        metrics.GROUP_COMMIT_ITEMS.labels(self.name).observe(len(items))
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
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            if future.done():  # the caller went away
                continue
            if isinstance(outcome, BaseException):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)
