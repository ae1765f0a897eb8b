"""Settings of the usagers service (env prefix USAGERS_)."""
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class UsagersSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="USAGERS_", extra="ignore")

    # RGPD retention: seconds between two passes anonymising usagers without an RDV for 2 years (0 = never)
    retention_interval_seconds: float = 86400.0
