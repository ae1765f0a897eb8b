"""Settings of the notifications service (env prefix NOTIFICATIONS_; SMTP and SMS under RDV_)."""
from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


def _env(name: str) -> AliasChoices:
    return AliasChoices(f"RDV_{name}", f"NOTIFICATIONS_{name}")


class NotificationsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_", extra="ignore", populate_by_name=True)

    smtp_host: str | None = Field(default=None, validation_alias=_env("SMTP_HOST"))
    smtp_port: int = Field(default=25, validation_alias=_env("SMTP_PORT"))
    smtp_from: str = Field(default="rdv <ne-pas-repondre@rdv.local>", validation_alias=_env("SMTP_FROM"))
    smtp_user: str | None = Field(default=None, validation_alias=_env("SMTP_USER"))
    smtp_password: SecretStr | None = Field(default=None, validation_alias=_env("SMTP_PASSWORD"))
    smtp_starttls: bool = Field(default=False, validation_alias=_env("SMTP_STARTTLS"))
    smtp_timeout_seconds: float = 10.0

    sms_provider: str = Field(default="dev", validation_alias=_env("SMS_PROVIDER"))  # dev | http-json
    sms_http_url: str | None = Field(default=None, validation_alias=_env("SMS_HTTP_URL"))
    sms_http_key: SecretStr | None = Field(default=None, validation_alias=_env("SMS_HTTP_KEY"))
    sms_sender: str = Field(default="RDV", validation_alias=_env("SMS_SENDER"))
    sms_timeout_seconds: float = 10.0

    # Delivery queue and reminder schedule.
    tick_seconds: float = 5.0  # the background loops look at due work at least this often (<= 30 s)
    max_attempts: int = 6
    retry_base_seconds: float = 30.0
    retry_max_seconds: float = 3600.0
    batch: int = 50
    senders: int = 4  # messages handed to providers concurrently by one replica (one delivery round)
    wake_delay_seconds: float = 0.03  # after a NOTIFY, wait this long so that one round takes several commits' messages

    # Webhooks: first retry after `webhook_retry_base_seconds`, then doubling, until `webhook_retry_horizon_seconds`
    # after the event (then the webhook is disabled and the admins told); each attempt waits at most
    # `webhook_timeout_seconds` for an answer; a round sends at most `webhook_senders` deliveries at once.
    webhook_retry_base_seconds: float = 10.0
    webhook_retry_horizon_seconds: float = 86400.0
    webhook_timeout_seconds: float = 10.0
    webhook_senders: int = 16

    @property
    def dev_inbox(self) -> bool:
        return self.env in ("dev", "test")
