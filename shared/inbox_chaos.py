"""The inbox's chaos hook (tests and staging only).

`RDV_CHAOS_REDELIVER=<p>` (0..1) makes every runner nak a message with probability p instead of
applying it, and nak an applied and committed event with probability p instead of acking it, so that
JetStream delivers it again and the inbox must drop the copy. Only the first deliveries of a message
are chaotic (a nak counts towards `max_deliver`). Refused (error log, no chaos) when RDV_ENV=production.
"""
from __future__ import annotations

import logging
import random

from shared import metrics
from shared.settings import PlatformSettings

log = logging.getLogger("rdv.inbox")

CHAOS_ENV = "RDV_CHAOS_REDELIVER"
CHAOS_DELAY = 0.05  # seconds before a chaos-nak'ed message comes back
CHAOS_MAX_ATTEMPT = 3  # deliveries after this one are never chaotic: they keep room for real retries


def chaos_probability() -> float:
    """The forced-redelivery probability from RDV_CHAOS_REDELIVER (0 when unset, invalid or in production)."""
    settings = PlatformSettings()  # read afresh: once per consumer, and tests change the environment
    raw = settings.chaos_redeliver.strip()
    if not raw:
        return 0.0
    if settings.production:
        log.error("%s est refusé en production : ignoré", CHAOS_ENV)
        return 0.0
    try:
        value = float(raw)
    except ValueError:
        log.error("%s=%r n'est pas une probabilité : ignoré", CHAOS_ENV, raw)
        return 0.0
    if not 0.0 <= value <= 1.0:
        log.error("%s=%r hors de [0, 1] : ignoré", CHAOS_ENV, raw)
        return 0.0
    return value


class ChaosHook:
    """The chaos side of `ConsumerRunner`: it reads the runner's probability, consumer (`c`) and random source."""

    chaos: float
    chaos_naks: int
    _random: random.Random

    def _chaos(self, msg) -> bool:
        """Whether the chaos hook redelivers this message now (never past its first deliveries)."""
        if not self.chaos:
            return False
        attempt = msg.metadata.num_delivered if msg.metadata else 1
        if attempt > min(CHAOS_MAX_ATTEMPT, self.c.max_deliver - 3):
            return False
        return self._random.random() < self.chaos

    async def _chaos_nak(self, msg) -> None:
        self.chaos_naks += 1
        metrics.events_consumed.labels(self.c.name, "chaos_nak").inc()
        await msg.nak(delay=CHAOS_DELAY)
