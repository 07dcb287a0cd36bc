"""The ``[channels.NAME]`` sections of the config, one model per channel type."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, SecretStr

from monitor.configtypes import StrictModel


class ConsoleChannelConfig(StrictModel):
    type: Literal["console"]


class TelegramChannelConfig(StrictModel):
    type: Literal["telegram"]
    bot_token: SecretStr
    chat_id: str
    api_base: str = "https://api.telegram.org"


class EmailChannelConfig(StrictModel):
    type: Literal["email"]
    host: str
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    password: SecretStr | None = None
    sender: str
    recipients: list[str] = Field(min_length=1)


class WebhookChannelConfig(StrictModel):
    type: Literal["webhook"]
    url: str
    secret: SecretStr | None = None


ChannelConfig = Annotated[
    ConsoleChannelConfig | TelegramChannelConfig | EmailChannelConfig | WebhookChannelConfig,
    Field(discriminator="type"),
]
