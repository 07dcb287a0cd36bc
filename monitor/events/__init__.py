"""events: groups stories into events, the coverage of one happening (pure: no I/O)."""

from monitor.events.cluster import Decision, EventIndex
from monitor.events.config import EventConfig

__all__ = ["Decision", "EventConfig", "EventIndex"]
