"""The ``[[entities]]`` and ``[[rules]]`` sections of the config."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from monitor.configtypes import Duration, Severity, StrictModel


class EntityConfig(StrictModel):
    """Something tracked under many spellings: a person, a place, an organisation."""

    name: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)


class BurstConfig(StrictModel):
    """Escalate when a story is carried by ``outlets`` distinct outlets within ``within``
    (``StoredItem.outlet_key``: an aggregator's item counts as the outlet it names, a feed's
    own items as the feed)."""

    outlets: int = Field(ge=2)
    within: Duration


class RuleConfig(StrictModel):
    """A query over items; a match goes to ``channels``."""

    name: str = Field(min_length=1)
    query: str = Field(min_length=1)
    channels: list[str] = Field(default_factory=list)
    feeds: list[str] = Field(
        default_factory=list, description="only items of these feeds (name or URL)"
    )
    tags: list[str] = Field(
        default_factory=list, description="only items of feeds with one of these tags"
    )
    severity: Severity = "normal"
    burst: BurstConfig | None = None
    alert_on: Literal["event", "story"] = Field(
        default="event",
        description='"event": one alert per news event, its later stories update it;'
        ' "story": one alert per story (the behaviour before events)',
    )
