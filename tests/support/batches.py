"""Applying events as a batched inbox would, for the tests that compare batch sizes."""
from __future__ import annotations


async def apply_in_batches(db, events: list, batches: list[int], one, many) -> None:
    """Apply `events` in consecutive batches of the given sizes, each in its own transaction: a batch
    of one through `one(uow, event)`, a larger one through `many(uow, events)`."""
    assert sum(batches) == len(events), (batches, len(events))
    start = 0
    for size in batches:
        async with db.uow() as uow:
            if size == 1:
                await one(uow, events[start])
            else:
                await many(uow, events[start:start + size])
            await uow.commit()
        start += size
