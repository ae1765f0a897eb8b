"""The database side of `rdv reporting rebuild`: empty the projections before the replay, count them after."""
from __future__ import annotations

from services.reporting.service_layer.unit_of_work import ReportingUnitOfWork


async def reset_projections(*, uow: ReportingUnitOfWork, consumers: list[str]) -> None:
    """Empty every projection and the inbox rows of `consumers`, in one transaction: replayed from the
    start of their streams, each event is then applied once again."""
    async with uow:
        await uow.projections.reset(consumers=consumers)
        await uow.commit()


async def projection_counts(*, uow: ReportingUnitOfWork) -> dict[str, int]:
    """How many RDV facts and usagers the projections hold."""
    async with uow:
        return await uow.projections.counts()
