"""Mail threads: the Message-ID of an alert's mail and, for an event's update, the mails it
follows (RFC 5322 §3.6.4: In-Reply-To names the parent, References the thread down to it), so
a mail client shows the first mail and its updates as one conversation.

The ids are derived, not stored: ``<ALERT.N.ORIGIN@sender's domain>``, ALERT the id of the
first mail's alert (``FIRST_ALERT``, which the outbox writes into its update), N the update's
number (0 for the first mail; the outbox counts the updates mailed, ``outbox.pace``), ORIGIN
what is this store's alone (``store.origin``). So an update after a restart names the first
mail as it went, and two stores (whose alert ids both start at 1) never share an id: Gmail
drops a message whose Message-ID it has seen. A retry of one message keeps its id (a
duplicate sent after a crash is dropped the same way).

Gmail threads a mail only when its subject is the thread's (a "Re:" or "Fwd:" before it
aside) and its References name a mail of the thread; Outlook groups by that subject too (its
conversation topic); Thunderbird and Apple Mail follow References. So an update's subject is
``Re: <the first mail's subject>`` (``reply_subject``); what is new leads its text, which
is the preview every one of them shows under the subject.
"""

from __future__ import annotations

from dataclasses import dataclass

from monitor.models import Alert

# In an update's extra: the id of the alert whose mail it follows (``outbox.grow``).
FIRST_ALERT = "first_alert"
# ``outbox.pace.UPDATES_SENT``: how many updates of that mail were mailed before this one.
_UPDATES_SENT = "updates_sent"
# The updates before this one that References names after the first mail (the newest): a
# thread is found by any of them, and a header need not grow with a story that keeps on.
REFERENCED_UPDATES = 10


@dataclass(frozen=True, slots=True)
class MailIds:
    """The ids of one mail: its own, and those of the mails it follows, the parent last."""

    message_id: str
    references: tuple[str, ...] = ()

    @property
    def in_reply_to(self) -> str | None:
        return self.references[-1] if self.references else None


def mail_ids(alert: Alert, origin: str, domain: str) -> MailIds | None:
    """The ids of ``alert``'s mail; None without an ``origin`` (a test alert sent by the
    command line) or for an update queued before updates named their first alert."""
    if not origin:
        return None

    def msgid(first: str, n: int) -> str:
        return f"<{first}.{n}.{origin}@{domain}>"

    if alert.kind != "update":
        return MailIds(msgid(str(alert.id), 0))
    first = alert.extra.get(FIRST_ALERT, "")
    sent = alert.extra.get(_UPDATES_SENT, "0") or "0"
    if not first.isdigit() or not sent.isdigit():
        return None
    n = int(sent) + 1
    earlier = range(max(1, n - REFERENCED_UPDATES), n)
    return MailIds(msgid(first, n), (msgid(first, 0), *(msgid(first, k) for k in earlier)))
