"""websub: real-time push from feeds that advertise a WebSub hub (W3C WebSub).

``WebSub`` is the subscriber the daemon runs beside its scheduler; pushed bodies go through
``monitor.pipeline.ingest_pushed``, the same stages as a poll.
"""

from monitor.websub.config import WebSubConfig

__all__ = ["WebSubConfig"]
