"""The ``[dedup]`` section of the config.

Score weights and thresholds were tuned on the STS headline pairs, train and dev only
(``bench/dedup_quality.py`` prints the test figure). ``first_threshold`` and the index limits
were set on the UCI stream and the synthetic windows of ``bench/dedup_speed.py``.
"""

from __future__ import annotations

from pydantic import Field

from monitor.configtypes import Duration, StrictModel


class DedupConfig(StrictModel):
    """How items are folded into stories."""

    window: Duration = Field(default=72 * 3600.0, description="how far back a story can be joined")
    threshold: float = Field(
        default=69.5,
        ge=0,
        le=100,
        description="similarity at or above which two headlines are one story",
    )
    first_threshold: float = Field(
        default=60.0,
        ge=0,
        le=100,
        description="a headline joining a story must also score this against its first headline",
    )
    set_weight: float = Field(default=0.5, ge=0, le=1, description="token-set vs token-sort blend")
    number_penalty: float = Field(
        default=20.0,
        ge=0,
        le=100,
        description="each side has a number or date the other lacks (x 3/n with n < 3 other words)",
    )
    name_penalty: float = Field(
        default=0.0, ge=0, le=100, description="each side has a name the other lacks"
    )
    opposite_penalty: float = Field(
        default=20.0,
        ge=0,
        le=100,
        description='one says "open"/"higher", the other "close"/"lower"',
    )
    min_shared: int = Field(
        default=2, ge=1, le=6, description="words two headlines of one story must have in common"
    )
    max_candidates: int = Field(default=50, ge=1, description="candidates scored per new item")
    max_postings: int = Field(
        default=2000, ge=1, description="words in more headlines than this are too common to use"
    )
