"""Settings of the booking service (env prefix BOOKING_)."""
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings, service_url


class BookingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BOOKING_", extra="ignore")

    # Where availability's /internal/check answers; empty = AVAILABILITY_URL or its default port.
    availability_url: str = ""
    availability_timeout_seconds: float = 5.0
    # RGPD retention: seconds between two purges of RDVs ended more than 2 years ago (0 = never)
    retention_interval_seconds: float = 86400.0

    def availability_base_url(self) -> str:
        return self.availability_url or service_url("availability")
