"""Mail threads: the Message-ID of an alert's mail and, for an event's update, the mail it
follows (RFC 5322 §3.6.4: In-Reply-To and References name the first mail), so a mail client
shows the first mail and its updates as one conversation.

A first mail's id is derived from its alert's row, ``<ALERT.TOKEN@sender's domain>``: TOKEN a
hash of when the row was queued, so a restart or another node of a cluster names it as it
went, while a store restored from a backup (its alert ids counted again from the backup's)
or a second store never reuses one: Gmail drops a message whose Message-ID it has seen
(review19d). The outbox writes that id into each update it queues (``FIRST_ALERT``); an
update's own id is new at every try, so a retry that tells more angles is not dropped as the
one before it.

Gmail threads a mail only when its subject is the thread's (a "Re:" or "Fwd:" before it
aside) and its References name a mail of the thread; Outlook groups by that subject too (its
conversation topic); Thunderbird and Apple Mail follow References. So an update's subject is
``Re: <the first mail's subject>`` (``reply_subject``); what is new leads its text, which
is the preview every one of them shows under the subject.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from email.utils import make_msgid

from monitor.models import Alert

# In a first alert as it goes out (``thread_first``), and in an update's extra (written by
# the outbox): the left part of the first mail's Message-ID.
THREAD = "mail_thread"
FIRST_ALERT = "first_alert"
# A longer domain would make In-Reply-To longer than a header line, which Python's mail
# folding then writes as an encoded word no client reads as an id (review19d).
_LONGEST_DOMAIN = 40


@dataclass(frozen=True, slots=True)
class MailIds:
    """The ids of one mail: its own, and those of the mails it follows, the parent last."""

    message_id: str
    references: tuple[str, ...] = ()

    @property
    def in_reply_to(self) -> str | None:
        return self.references[-1] if self.references else None


def thread_token(alert_id: int, created_at: float) -> str:
    """The left part of the Message-ID of the mail of the alert row ``alert_id`` queued at
    ``created_at``."""
    when = hashlib.sha256(repr(float(created_at)).encode()).hexdigest()[:12]
    return f"{alert_id}.{when}"


def thread_first(alert: Alert, created_at: float) -> Alert:
    """``alert`` (a first message: not an update) with its thread's token, as it goes out."""
    return replace(alert, extra={**alert.extra, THREAD: thread_token(alert.id, created_at)})


def mail_ids(alert: Alert, domain: str) -> MailIds | None:
    """The ids of ``alert``'s mail; None for one with no thread (a test alert sent by the
    command line, an update queued before updates named their first mail)."""
    right = domain if len(domain) <= _LONGEST_DOMAIN else "monitor.invalid"
    if alert.kind != "update":
        token = alert.extra.get(THREAD, "")
        return MailIds(f"<{token}@{right}>") if token else None
    first = alert.extra.get(FIRST_ALERT, "")
    if "." not in first:
        return None
    return MailIds(make_msgid(domain=right), (f"<{first}@{right}>",))
