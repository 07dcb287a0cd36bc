"""``[cluster]``: how the nodes sharing one PostgreSQL keep track of each other."""

from __future__ import annotations

from pydantic import Field, model_validator

from monitor.configtypes import Duration, StrictModel


class ClusterConfig(StrictModel):
    """Only read when ``[monitor] database`` is PostgreSQL; every node should use the same."""

    lease: Duration = Field(
        default=30.0, ge=0.5, description="a silent node's feeds go to others after this"
    )
    heartbeat: Duration = Field(default=5.0, ge=0.1, description="how often a node says it lives")
    election: Duration = Field(
        default=2.0, ge=0.1, description="how often a standby tries to take a free role"
    )
    batch: int = Field(default=50, ge=1, le=1000, description="due feeds taken per query")

    @model_validator(mode="after")
    def _beats_within_lease(self) -> ClusterConfig:
        # Two missed beats must not cost a live node its feeds.
        if self.heartbeat * 3 > self.lease:
            raise ValueError("heartbeat: must be at most a third of lease")
        return self
