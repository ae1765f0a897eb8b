"""Settings of the gateway (env prefix GATEWAY_; RDV_* for the contract's operations table)."""
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import ProductionRefused, ServiceSettings

DEV_PLATFORM_KEY = "dev-platform-key"


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    public_bookings_per_10_minutes: int = 30
    idempotency_ttl_hours: int = 24
    # The key that creates organisations (POST /api/v1/organisations); required in production.
    platform_key_value: SecretStr | None = Field(default=None, validation_alias="RDV_PLATFORM_KEY")
    # The pinned npm libraries the UI serves (/vendor/...); the image copies them elsewhere.
    node_modules: Path = Field(default=Path(__file__).resolve().parents[1] / "node_modules",
                               validation_alias="RDV_NODE_MODULES")

    @property
    def platform_key(self) -> str:
        key = self.platform_key_value.get_secret_value() if self.platform_key_value else ""
        if key:
            if self.env == "production" and key == DEV_PLATFORM_KEY:
                raise ProductionRefused("la clé de plateforme de dev est refusée en production")
            return key
        if self.env == "production":
            raise ProductionRefused("RDV_PLATFORM_KEY est obligatoire en production")
        return DEV_PLATFORM_KEY

    def check_production(self) -> None:
        """Refuse to start in production with the dev platform key, the dev internal secret or a fixed
        clock (RDV_NOW)."""
        if self.env != "production":
            return
        _ = self.platform_key
        super().check_production()
