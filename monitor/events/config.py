"""The ``[events]`` section of the config.

``threshold``, ``recent`` and ``recent_threshold`` were tuned on the first half of the UCI
stream (``bench/events_quality.py`` prints both halves and the whole). UCI has headlines only:
``summary_weight`` is not tuned on data (a summary counts as much as its headline).
"""

from __future__ import annotations

from pydantic import Field, model_validator

from monitor.configtypes import Duration, StrictModel
from monitor.events.semantic import available


class EventConfig(StrictModel):
    """How stories are grouped into events."""

    threshold: float = Field(
        default=0.4,
        gt=0,
        le=1,
        description="similarity (0-1) of a new story to an event at or above which it joins it",
    )
    recent: Duration = Field(
        default=3600.0, ge=0, description="an event with an item this recent is 'recent'"
    )
    recent_threshold: float = Field(
        default=0.1,
        gt=0,
        le=1,
        description="the similarity that joins a recent event (coverage comes in bursts)",
    )
    # As for stories: coverage that goes on keeps an event open; one back in the news after a
    # quiet night is news again and deserves a new alert.
    quiet: Duration = Field(
        default=12 * 3600.0,
        ge=0,
        description="an event with no new item for this long is closed; 0 = never",
    )
    summary_weight: float = Field(
        default=1.0, ge=0, le=1, description="weight of a summary's words against the headline's"
    )
    name_weight: float = Field(
        default=1.0, ge=1, le=5, description="weight of a name (person, place, organisation)"
    )
    max_candidates: int = Field(default=30, ge=1, description="events scored per new story")
    semantic: bool = Field(
        default=False,
        description="also join by meaning, across languages (pip install 'monitor[semantic]')",
    )
    semantic_threshold: float = Field(
        default=0.55, gt=0, le=1, description="embedding cosine that joins a story to an event"
    )
    semantic_events: int = Field(
        default=256, ge=1, description="most recently active events compared by meaning"
    )

    @model_validator(mode="after")
    def _semantic_installed(self) -> EventConfig:
        if self.semantic and not available():
            raise ValueError(
                "semantic = true needs the semantic extra: pip install 'monitor[semantic]'"
            )
        return self
