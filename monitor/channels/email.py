"""Email: SMTP through aiosmtplib, with STARTTLS (RFC 3207), implicit TLS (RFC 8314) or none.

Each alert is one ``multipart/alternative`` message (RFC 2046 §5.1.4): plain text first,
HTML last (the part a client prefers). SMTP reply codes decide what happens next
(RFC 5321 §4.2.1): 4yz is transient, so the outbox retries; 5yz is permanent, so it gives up,
except a refused login or every recipient refused: the config's fault, so the alert waits.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import ClassVar

import aiosmtplib

from monitor.channels import Channel
from monitor.channels.config import EmailChannelConfig
from monitor.channels.digest import digest_html, digest_plain, digest_title
from monitor.channels.mailerrors import connect_failure, session_failure
from monitor.channels.mailthread import MailIds, mail_ids
from monitor.channels.render import clip, first_subject, html_text, plain_text, subject
from monitor.errors import ChannelError
from monitor.models import Alert

log = logging.getLogger("monitor.channels.email")


class EmailChannel(Channel):
    type: ClassVar[str] = "email"
    # RFC 5322 §2.1.1: a header line should stay under 78 characters; the subject folds,
    # but one that is much longer only gets cut off by the mail client.
    title_maxlen: ClassVar[int] = 200
    digest_max: ClassVar[int] = 100

    def __init__(self, name: str, config: EmailChannelConfig) -> None:
        super().__init__(name, config)
        self.settings = config
        self._password = config.password.get_secret_value() if config.password else None
        domain = config.sender.rpartition("@")[2] or "localhost"
        self._domain = domain.strip("> ")

    def __repr__(self) -> str:
        c = self.settings
        password = "'***'" if self._password else "None"
        return (
            f"<EmailChannel {self.name!r} {c.security}://{c.host}:{c.port} "
            f"username={c.username!r} password={password}>"
        )

    def message(
        self, subject: str, text: str, html: str, ids: MailIds | None = None
    ) -> EmailMessage:
        """The MIME message: headers of RFC 5322 §3.6, text and HTML alternatives; with
        ``ids``, its Message-ID and, for a reply, the mails it follows (§3.6.4)."""
        c = self.settings
        msg = EmailMessage()
        msg["Subject"] = self._subject(subject, replies=bool(ids and ids.references))
        msg["From"] = c.sender
        msg["To"] = ", ".join(c.recipients)
        msg["Date"] = formatdate(usegmt=True)
        msg["Message-ID"] = ids.message_id if ids else make_msgid(domain=self._domain)
        if ids and ids.in_reply_to:
            msg["In-Reply-To"] = ids.in_reply_to
            msg["References"] = " ".join(ids.references)
        msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to alerts
        msg.set_content(text)
        msg.add_alternative(html, subtype="html")
        return msg

    def _subject(self, subject: str, *, replies: bool) -> str:
        """The subject line; a reply's is the first mail's after "Re: " (RFC 5322 §3.6.5),
        cut as that one was: Gmail threads only a mail whose subject is the thread's."""
        shown = clip(f"{self.settings.subject_prefix} {subject}".strip(), self.title_maxlen)
        return f"Re: {shown}" if replies else shown

    async def _send(self, alert: Alert) -> str | None:
        ids = mail_ids(alert, self._domain)
        # An update in a thread: the first mail's subject; what is new leads the text.
        title = first_subject(alert) if ids and ids.references else subject(alert)
        msg = self.message(title, plain_text(alert), html_text(alert), ids)
        await self._deliver(msg)
        return None  # mail cannot be edited once sent

    async def _send_digest(self, alerts: Sequence[Alert]) -> str | None:
        msg = self.message(digest_title(alerts), digest_plain(alerts), digest_html(alerts))
        await self._deliver(msg)
        return None

    async def _deliver(self, msg: EmailMessage) -> None:
        c = self.settings
        where = f"email {self.name}: {c.host}:{c.port}"
        failure: ChannelError | None = None
        try:
            errors, _ = await aiosmtplib.send(
                msg,
                hostname=c.host,
                port=c.port,
                username=c.username,
                password=self._password,
                use_tls=c.security == "tls",
                start_tls=c.security == "starttls",
                cert_bundle=c.ca_file,  # None: the system's CAs
                timeout=c.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            detail = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients)
            failure = _by_code(f"{where}: every recipient was refused: {detail}", min(codes))
            if failure.permanent:  # no recipient takes mail: the list is wrong, not the alert
                failure = ChannelError(
                    f"{where}: configuration problem: every recipient was refused: {detail}; "
                    "check recipients",
                    config=True,
                )
        except aiosmtplib.SMTPAuthenticationError as exc:
            failure = ChannelError(
                f"{where}: configuration problem: login refused ({exc.code} {exc.message}); "
                "check username and password",
                config=True,
            )
        except aiosmtplib.SMTPResponseException as exc:
            if exc.code < 0:  # aiosmtplib's code for an answer that is not SMTP at all
                answer = exc.message.rpartition("response line:")[2].strip()[:100]
                failure = ChannelError(
                    f"{where}: the server does not speak SMTP ({answer}); check host and port"
                )
            else:
                message = f"{where}: the server answered {exc.code} {exc.message}"
                failure = _by_code(message, exc.code)
        except aiosmtplib.SMTPException as exc:
            # Connection refused or dropped, timeouts, TLS problems: worth another try.
            failure = session_failure(where, exc, c)
        except OSError as exc:
            failure = ChannelError(f"{where}: {connect_failure(exc, c)}")
        if failure is not None:
            failure.message = self._mask(failure.message)
            failure.args = (failure.message,)
            raise failure
        if errors:
            # Some recipients took it: retrying would send them a second copy.
            log.warning("%s: some recipients refused the alert: %s", where, sorted(errors))

    def _mask(self, text: str) -> str:
        return text.replace(self._password, "***") if self._password else text


def _by_code(message: str, code: int) -> ChannelError:
    """RFC 5321 §4.2.1: 4yz transient (retry), 5yz permanent (give up)."""
    return ChannelError(message, permanent=500 <= code < 600)
