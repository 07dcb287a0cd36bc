"""The ``[dedup]`` section of the config."""

from __future__ import annotations

from pydantic import Field

from monitor.configtypes import Duration, StrictModel


class DedupConfig(StrictModel):
    """How items are folded into stories."""

    window: Duration = Field(default=72 * 3600.0, description="how far back a story can be joined")
    threshold: float = Field(
        default=80.0,
        ge=0,
        le=100,
        description="similarity (0-100) at or above which two headlines are one story",
    )
