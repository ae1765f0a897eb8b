"""Settings of the availability service (env prefix AVAILABILITY_)."""
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class AvailabilitySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AVAILABILITY_", extra="ignore")
