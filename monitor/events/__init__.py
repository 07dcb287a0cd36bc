"""events: groups stories into events, the coverage of one happening (pure: no I/O)."""

from monitor.events.cluster import Decision, EventIndex
from monitor.events.compare import Comparison, compare
from monitor.events.config import EventConfig

__all__ = ["Comparison", "Decision", "EventConfig", "EventIndex", "compare"]
