"""The ``[dedup]`` section of the config."""

from __future__ import annotations

from pydantic import Field

from monitor.configtypes import Duration, StrictModel


class DedupConfig(StrictModel):
    """How items are folded into stories (defaults tuned on the STS headline pairs)."""

    window: Duration = Field(default=72 * 3600.0, description="how far back a story can be joined")
    threshold: float = Field(
        default=70.0,
        ge=0,
        le=100,
        description="similarity at or above which two headlines are one story",
    )
    set_weight: float = Field(default=0.3, ge=0, le=1, description="token-set vs token-sort blend")
    number_penalty: float = Field(default=25.0, ge=0, le=100)
    name_penalty: float = Field(default=0.0, ge=0, le=100)
    min_shared: int = Field(default=2, ge=1, le=6, description="rare words a candidate must share")
    max_candidates: int = Field(default=50, ge=1, description="candidates scored per new item")
    max_postings: int = Field(
        default=2000, ge=1, description="words in more headlines than this are too common to use"
    )
