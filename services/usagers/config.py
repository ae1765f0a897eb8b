"""Settings of the usagers service (env prefix USAGERS_)."""
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class UsagersSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="USAGERS_", extra="ignore")

    # RGPD retention: seconds between two passes anonymising usagers without an RDV for 2 years (0 = never)
    retention_interval_seconds: float = 86400.0
    # Every outbox write here goes through the unit of work, whose commit wakes the relay at once: the
    # relay's poll is only a backstop (rows left by a crash), so it need not run 5 times a second.
    relay_interval_seconds: float = 2.0
