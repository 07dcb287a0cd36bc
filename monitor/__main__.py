"""``python -m monitor``."""

from monitor.cli import run_process

raise SystemExit(run_process())
