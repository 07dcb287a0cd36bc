"""The ``[dedup]`` section of the config.

Score weights and thresholds were tuned on the STS headline pairs, train and dev only
(``bench/dedup_quality.py`` prints the test figure). ``first_threshold`` and the index limits
were set on the UCI stream and the synthetic windows of ``bench/dedup_speed.py``.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, ValidationInfo, model_validator

from monitor.configtypes import Duration, StrictModel, format_duration, written_duration

# Longer than a night's lull in a story's coverage, shorter than a day: the next day's market
# close or weather report comes less than 24 hours after today's, so a day would not part them.
_QUIET = 12 * 3600.0


class DedupConfig(StrictModel):
    """How items are folded into stories."""

    window: Duration = Field(default=72 * 3600.0, description="how far back a story can be joined")
    # Recurring news ("Wall Street closes lower", the daily weather, "Day 12 of the trial")
    # is a different story each day, and a story back in the news after a quiet day deserves
    # a new alert; coverage that goes on keeps a story open however long it runs.
    quiet: Duration = Field(
        default=_QUIET,
        description="a story with no new item for this long is closed: a similar headline"
        " starts a new story (the same GUID or URL still joins it); 0 = never",
    )
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
        description="each side has a number or date the other lacks (x 3/n with n < 3 other"
        " words); two figures in digits that disagree always make two stories",
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

    @model_validator(mode="before")
    @classmethod
    def _quiet_follows_a_short_window(cls, data: Any, info: ValidationInfo) -> Any:
        # A window shorter than the default quiet needs no second edit: quiet follows it.
        if isinstance(data, dict) and "quiet" not in data and "window" in data:
            try:
                window = written_duration(data["window"], info)
            except ValueError:
                return data  # the window's own error says it
            # As written: a file's durations carry their unit (configtypes.written_duration).
            quiet = data["window"] if window < _QUIET else format_duration(_QUIET)
            return {**data, "quiet": quiet}
        return data

    @model_validator(mode="after")
    def _quiet_within_window(self) -> DedupConfig:
        # A story is found only in the window: a longer quiet could never close one.
        if self.quiet > self.window:
            raise ValueError("quiet must be at most window (0 keeps stories open)")
        return self
