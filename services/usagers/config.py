"""Settings of the usagers service (env prefix USAGERS_)."""
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class UsagersSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="USAGERS_", extra="ignore")
