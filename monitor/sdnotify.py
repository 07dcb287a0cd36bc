"""systemd's notify protocol (sd_notify(3)): a datagram to $NOTIFY_SOCKET, nothing more.

https://www.freedesktop.org/software/systemd/man/latest/sd_notify.html
Without $NOTIFY_SOCKET (not under systemd, or Type=simple) every call does nothing.
"""

from __future__ import annotations

import os
import socket
import time


class Notifier:
    def __init__(self, address: str | None = None) -> None:
        self.address = address if address is not None else os.environ.get("NOTIFY_SOCKET", "")

    def notify(self, message: str) -> bool:
        """Send one state line ("READY=1", "WATCHDOG=1", ...); False when it could not be sent."""
        if not self.address:
            return False
        address = self.address
        if address.startswith("@"):  # an abstract socket
            address = "\0" + address[1:]
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                # Never block the event loop: if the receiver's queue is full, drop the message
                # (the next watchdog tick sends another).
                sock.setblocking(False)
                sock.connect(address)
                sock.send(message.encode())
        except OSError:
            return False
        return True

    def ready(self) -> None:
        self.notify("READY=1")

    def reloading(self) -> None:
        # RELOADING=1 must carry MONOTONIC_USEC (Type=notify-reload, systemd 253+).
        self.notify(f"RELOADING=1\nMONOTONIC_USEC={time.monotonic_ns() // 1000}")

    def stopping(self) -> None:
        self.notify("STOPPING=1")

    def watchdog(self) -> None:
        self.notify("WATCHDOG=1")


def watchdog_interval() -> float | None:
    """Half of $WATCHDOG_USEC in seconds (systemd's advice), or None when no watchdog is set."""
    usec = os.environ.get("WATCHDOG_USEC")
    pid = os.environ.get("WATCHDOG_PID")
    if not usec or not usec.isdigit() or (pid and pid != str(os.getpid())):
        return None
    return int(usec) / 1_000_000 / 2
