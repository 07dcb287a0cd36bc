"""events: groups stories into events, the coverage of one happening (pure: no I/O)."""

from monitor.events.cluster import Comparison, Decision, EventIndex, compare
from monitor.events.config import EventConfig

__all__ = ["Comparison", "Decision", "EventConfig", "EventIndex", "compare"]
