"""outbox: alerts written with the story that causes them, then delivered by channel workers.

Enqueue side (called inside the pipeline's transaction, so a story and its alerts are
stored together or not at all):
- ``on_match``: one "new" alert per channel of the rule, keyed ``new:STORY:RULE``, or
  ``event:EVENT:RULE`` for a rule that alerts per event; a second match of the same story (or
  event) and rule inserts nothing (``UNIQUE(channel, dedup_key)``).
- ``grow.on_grown``: the stories that gained outlets, the events that gained an item. Its pending
  alerts show the new outlet list when they go out (written once per story or event,
  ``store.growth``); a sent one on a channel that can edit gets one coalesced "update"
  (``update:ALERT``).
  Both check the rule's ``burst``: one escalated "burst" alert per channel, once.

Delivery side: ``Deliverer`` runs one worker per channel. Each try is recorded in
``alert_attempts``; failures back off exponentially with jitter; a rate limit (Telegram
``retry_after``) waits as long as the channel asks, and its alert goes first after it. A
permanent refusal of the alert itself marks it ``failed``, and one not delivered within
``expire_after`` is ``expired``. Both stay visible in ``monitor status``. A refusal of the
channel's config (a wrong token, a refused login) holds the alerts pending instead, until a
reload or a restart (``outbox.held``).

An alert is recorded sent with what went out. Growth that came while the channel had it
(a poll between the worker's read and its record; on several nodes, the assigner's poll in
flight, which the record waits for) goes out after it as the update a poll a moment later
would have queued (``outbox.upkeep.follow_up``).

Exactly once, as far as it can be: an alert is marked sent in its own transaction right
after the channel accepted it. A crash (kill -9, power loss) between the channel's answer
and that commit leaves it pending, and it is sent again at the next start: at most
``concurrency`` (default 1) duplicate messages per channel per crash. That is milliseconds
on one node; on PostgreSQL the record first waits for the assigner's poll in flight that
holds one of its alerts, as long as that poll's transaction lasts (the writer has no lock
timeout), and a record that fails (the transaction aborted, the store restarting or failing
over) is made again for as long as the store is away (the channel waits meanwhile; a stop,
up to ``worker.RECORD_STOP_GRACE`` more): only a crash, or a stop during a longer outage,
sends it a second time, at the next start.
No Bot API or SMTP idempotency key exists to close that window; the webhook sends
``X-Monitor-Alert-Id`` so a receiver can.
"""

from monitor.outbox.deliver import BATCH, DIGEST_KINDS, IDLE_MAX, Deliverer
from monitor.outbox.enqueue import enqueue, enqueue_health, on_match
from monitor.outbox.status import orphaned, orphaned_message, outbox_status, render_status

__all__ = [
    "BATCH",
    "DIGEST_KINDS",
    "IDLE_MAX",
    "Deliverer",
    "enqueue",
    "enqueue_health",
    "on_match",
    "orphaned",
    "orphaned_message",
    "outbox_status",
    "render_status",
]
