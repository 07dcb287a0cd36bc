"""The errors of monitor: one base, a few subclasses that carry data.

Every message starts with its stage ("fetch: ...", "config: ...") so a log line or a
health record says where it came from. Domain errors become exit codes only at the CLI
edge (``monitor.cli``).
"""

from __future__ import annotations


class MonitorError(Exception):
    """Base of every error monitor raises on purpose."""

    stage = "monitor"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return f"{self.stage}: {self.message}"


class ConfigError(MonitorError):
    """The config file cannot be used; ``problems`` lists every problem with its location."""

    stage = "config"

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        self.headline = message
        self.problems = problems or []
        full = message + (": " + "; ".join(self.problems) if self.problems else "")
        super().__init__(full)


class InputError(MonitorError):
    """A file the user gave us (OPML, a replay source, a pairs file) cannot be used: exit 2."""

    stage = "input"


class FetchError(MonitorError):
    """A feed could not be fetched. ``retry_after`` (seconds) is the server's own hint."""

    stage = "fetch"

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class ParseError(MonitorError):
    """A body was fetched but is not a feed."""

    stage = "parse"


class StoreError(MonitorError):
    """The database cannot be read or written."""

    stage = "store"


class RuleError(MonitorError):
    """A rule query does not parse; ``position`` is the 0-based offset in the query."""

    stage = "rules"

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.position = position


class ChannelError(MonitorError):
    """A channel could not deliver an alert.

    ``permanent`` means retrying the same request cannot help (a wrong chat_id, SMTP 5xx);
    ``retry_after`` (seconds) is the channel's own hint (Telegram 429, SMTP 4xx), and
    ``rate_limited`` says it is a rate limit's (Telegram 429, HTTP 429): when the service
    takes the message again, not a failure (a 503's Retry-After is a failure with a hint);
    ``config`` means the channel's configuration is at fault, not the alert (a wrong bot
    token, a refused login): the alert waits until the config is fixed, it is not failed.
    Such a message says ``CONFIG_PROBLEM``, which is how the outbox finds its alerts again.
    """

    stage = "channel"

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        retry_after: float | None = None,
        config: bool = False,
        rate_limited: bool = False,
    ) -> None:
        super().__init__(message)
        self.permanent = permanent or config
        self.retry_after = retry_after
        self.config = config
        self.rate_limited = rate_limited


CONFIG_PROBLEM = "configuration problem"  # in every ChannelError(config=True)'s message
