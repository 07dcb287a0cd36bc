"""`monitor run` with its housekeeping (feed health, retention) every half second instead of
every minute and hour, for the tests that check which node of a cluster runs it: the clock of
those jobs, shortened, and nothing else changed.

    python tests/clusterchores.py -c CONFIG run
"""

from __future__ import annotations

from monitor import daemon
from monitor.cli import main

daemon.FEED_HEALTH_EVERY = 0.5
daemon.RETENTION_EVERY = 0.5

if __name__ == "__main__":
    raise SystemExit(main())
