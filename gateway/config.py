"""Settings of the gateway (env prefix GATEWAY_; RDV_* for the contract's operations table)."""
import os

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    @property
    def platform_key(self) -> str:
        key = os.environ.get("RDV_PLATFORM_KEY")
        if key:
            if self.env == "production" and key == "dev-platform-key":
                raise RuntimeError("la clé de plateforme de dev est refusée en production")
            return key
        if self.env == "production":
            raise RuntimeError("RDV_PLATFORM_KEY est obligatoire en production")
        return "dev-platform-key"
