"""Settings of the gateway (env prefix GATEWAY_; RDV_* for the contract's operations table)."""
import os

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings

DEV_PLATFORM_KEY = "dev-platform-key"


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    public_bookings_per_10_minutes: int = 30
    idempotency_ttl_hours: int = 24

    @property
    def platform_key(self) -> str:
        key = os.environ.get("RDV_PLATFORM_KEY")
        if key:
            if self.env == "production" and key == DEV_PLATFORM_KEY:
                raise RuntimeError("la clé de plateforme de dev est refusée en production")
            return key
        if self.env == "production":
            raise RuntimeError("RDV_PLATFORM_KEY est obligatoire en production")
        return DEV_PLATFORM_KEY

    def check_production(self) -> None:
        """Refuse to start in production with the dev platform key or a fixed clock (RDV_NOW)."""
        if self.env != "production":
            return
        _ = self.platform_key
        if os.environ.get("RDV_NOW"):
            raise RuntimeError("RDV_NOW est refusé en production")
