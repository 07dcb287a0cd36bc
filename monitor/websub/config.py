"""``[websub]``: real-time push from feeds that advertise a WebSub hub."""

from __future__ import annotations

from pydantic import Field, field_validator

from monitor.configtypes import Duration, HostPort, HttpUrl, StrictModel


class WebSubConfig(StrictModel):
    """Where hubs reach us, and how long subscriptions last."""

    listen: HostPort = Field(description='"HOST:PORT" of the listener for the hubs\' callbacks')
    callback_url: HttpUrl = Field(description="the public base the hubs can reach")
    lease: Duration = Field(default=10 * 86400.0, ge=60)
    poll_interval: Duration = Field(default=3600.0, gt=0)

    @field_validator("callback_url")
    @classmethod
    def _no_query(cls, value: str) -> str:
        # Each subscription's token is appended as a path segment; a query or fragment
        # would end up before it.
        if "?" in value or "#" in value:
            raise ValueError(f"expected a URL without a query or fragment, got {value!r}")
        return value.rstrip("/")
