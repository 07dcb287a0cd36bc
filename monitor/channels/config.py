"""The ``[channels.NAME]`` sections of the config, one model per channel type.

Every channel shares the delivery settings of ``DeliveryConfig`` (rate limit, digest, quiet
hours, retries, expiry); each type adds its endpoint and credentials. Secrets are
``SecretStr``: they never show in a repr, a log line or ``model_dump``.
"""

from __future__ import annotations

import re
from datetime import time as dtime
from typing import Annotated, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PlainSerializer,
    SecretStr,
    field_validator,
    model_validator,
)

from monitor.configtypes import (
    Duration,
    HttpUrl,
    Severity,
    StrictModel,
    check_http_url,
    format_duration,
    parse_duration,
)

SEVERITY_ORDER: dict[str, int] = {"low": 0, "normal": 1, "high": 2, "urgent": 3}

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\S+)\s*$")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")


def parse_rate(value: object) -> tuple[int, float] | None:
    """``"20/m"`` or ``"1/3s"`` -> (count, period seconds); ``"off"`` -> None (no limit)."""
    if value is None or (isinstance(value, str) and value.strip().lower() == "off"):
        return None
    if isinstance(value, tuple):
        return value  # already parsed (model_validate of a dump)
    if isinstance(value, str):
        m = _RATE.match(value)
        if m:
            period = m.group(2)
            period = period if period[0].isdigit() else "1" + period
            count, seconds = int(m.group(1)), parse_duration(period)
            if count > 0 and seconds > 0:
                return count, seconds
    raise ValueError(f'expected a rate such as "20/m", "1/s" or "off", got {value!r}')


def _format_rate(value: tuple[int, float] | None) -> str:
    if value is None:
        return "off"
    return f"{value[0]}/{format_duration(value[1])}"


Rate = Annotated[
    tuple[int, float] | None,
    BeforeValidator(parse_rate),
    PlainSerializer(_format_rate, return_type=str),
]
"""A rate limit written ``"N/PERIOD"`` ("20/m", "1/3s"), or ``"off"``."""


def parse_quiet_hours(value: object) -> tuple[dtime, dtime] | None:
    """``"22:00-07:00"`` -> (start, end), daily, may cross midnight; ``"off"`` -> None."""
    if value is None or isinstance(value, tuple):
        return value  # already parsed
    if isinstance(value, str):
        if value.strip().lower() == "off":
            return None
        parts = value.split("-")
        if len(parts) == 2:
            times = [_CLOCK.match(p.strip()) for p in parts]
            if all(times):
                try:
                    start, end = (dtime(int(t.group(1)), int(t.group(2))) for t in times if t)
                except ValueError:
                    pass
                else:
                    if start != end:
                        return start, end
    raise ValueError(f'expected quiet hours such as "22:00-07:00" or "off", got {value!r}')


def _format_quiet(value: tuple[dtime, dtime] | None) -> str:
    return "off" if value is None else f"{value[0]:%H:%M}-{value[1]:%H:%M}"


QuietHoursSpan = Annotated[
    tuple[dtime, dtime] | None,
    BeforeValidator(parse_quiet_hours),
    PlainSerializer(_format_quiet, return_type=str),
]


class DeliveryConfig(StrictModel):
    """How the outbox delivers to a channel; every channel type has these keys."""

    rate_limit: Rate = Field(
        default=None,
        description='"N/PERIOD": at most N messages per PERIOD, evenly spaced; "off" = none',
    )
    digest: Duration = Field(
        default=0.0,
        ge=0,
        description="alerts arriving within this long go out as one message; 0 = each alone",
    )
    quiet_hours: QuietHoursSpan = Field(
        default=None, description='"HH:MM-HH:MM": alerts wait until the end of this span'
    )
    quiet_override: Severity = Field(
        default="urgent", description="alerts of this severity or above ignore quiet hours"
    )
    timezone: str = Field(default="UTC", description="IANA zone of quiet_hours")
    timeout: Duration = Field(default=30.0, gt=0, description="one delivery attempt")
    retry_initial: Duration = Field(default=30.0, gt=0, description="first retry delay")
    retry_max: Duration = Field(default=3600.0, gt=0, description="longest retry delay")
    expire_after: Duration = Field(
        default=86400.0, gt=0, description="an alert undelivered this long is given up"
    )
    update_delay: Duration = Field(
        default=60.0, ge=0, description="wait before editing a sent message; growth coalesces"
    )
    update_max: Duration = Field(
        default=1800.0,
        ge=0,
        description="an update mailed (not edited) waits twice as long as the one before it,"
        " from update_delay up to this; growth coalesces (at most update_delay: a steady pace)",
    )
    concurrency: int = Field(default=1, ge=1, le=64, description="deliveries in flight at once")
    storm_limit: int = Field(
        default=20,
        ge=0,
        description="story alerts of one rule a minute; beyond it, one summary (0 = no limit)",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name)") from None
        return value

    @model_validator(mode="after")
    def _retry_order(self) -> DeliveryConfig:
        if self.retry_max < self.retry_initial:
            # Name both values, and which one is the default: setting only one of them
            # ("retry_max = 15s" under the default 30s) was a puzzle (explore9).
            def shown(name: str, value: float) -> str:
                default = "" if name in self.model_fields_set else ", the default"
                return f"{name} ({format_duration(value)}{default})"

            raise ValueError(
                f"{shown('retry_max', self.retry_max)} must be at least"
                f" {shown('retry_initial', self.retry_initial)}"
            )
        return self


_Text = TypeVar("_Text", str, SecretStr)


def _filled(value: _Text) -> _Text:
    # "${TOKEN}" of an env file whose line was left as "TOKEN=" is an empty string: without
    # this, check-config passed it and every alert failed later (an empty webhook secret,
    # worse, sent every body unsigned).
    text = value.get_secret_value() if isinstance(value, SecretStr) else value
    if not text.strip():
        raise ValueError("must not be empty (an environment variable it reads may be empty)")
    return value


Filled = Annotated[str, AfterValidator(_filled)]
FilledSecret = Annotated[SecretStr, AfterValidator(_filled)]


class ConsoleChannelConfig(DeliveryConfig):
    type: Literal["console"]


class TelegramChannelConfig(DeliveryConfig):
    type: Literal["telegram"]
    bot_token: FilledSecret
    chat_id: Filled
    api_base: str = "https://api.telegram.org"
    # Telegram asks bots to stay under 20 messages a minute in one group
    # (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this).
    rate_limit: Rate = Field(default=(20, 60.0))

    @field_validator("api_base")
    @classmethod
    def _http_base(cls, value: str) -> str:
        return check_http_url(value).rstrip("/")


class EmailChannelConfig(DeliveryConfig):
    type: Literal["email"]
    host: Filled
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = "starttls"
    ca_file: str | None = Field(
        default=None, description="PEM file of the CAs to trust (a private mail server)"
    )
    username: str | None = None
    password: SecretStr | None = None
    sender: Filled
    recipients: list[Filled] = Field(min_length=1)
    subject_prefix: str = "[monitor]"


class WebhookChannelConfig(DeliveryConfig):
    type: Literal["webhook"]
    url: HttpUrl
    secret: FilledSecret | None = None


ChannelConfig = Annotated[
    ConsoleChannelConfig | TelegramChannelConfig | EmailChannelConfig | WebhookChannelConfig,
    Field(discriminator="type"),
]
