"""A minimal SMTP server on loopback for fault tests: real sockets, real SMTP dialogue.

Enough of RFC 5321 for Django's SMTP backend (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT,
no TLS or AUTH). It can refuse every message with a 4xx, or refuse chosen recipients with a 550,
and keeps each message it accepted as (recipients, raw text).
"""

from __future__ import annotations

import socketserver
import threading
from dataclasses import dataclass, field


@dataclass
class Mailbox:
    accepted: list[tuple[list[str], str]] = field(default_factory=list)
    refuse_all: str = ""  # e.g. "451 4.3.0 try again later": every MAIL FROM gets this
    refuse_recipients: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def to(self, address: str) -> list[str]:
        with self.lock:
            return [text for recipients, text in self.accepted if address in recipients]


class _Session(socketserver.StreamRequestHandler):
    timeout = 10  # a client that goes silent does not hold a thread for ever

    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        box: Mailbox = self.server.mailbox  # type: ignore[attr-defined]
        self.reply("220 localhost test SMTP")
        recipients: list[str] = []
        try:
            while raw := self.rfile.readline():
                command = raw.decode("utf-8", "replace").strip()
                verb = command[:4].upper()
                if verb == "EHLO":
                    self.reply("250-localhost")
                    self.reply("250 8BITMIME")
                elif verb == "HELO":
                    self.reply("250 localhost")
                elif verb == "MAIL":
                    recipients = []
                    self.reply(box.refuse_all or "250 OK")
                elif verb == "RCPT":
                    address = command.split(":", 1)[1].strip().strip("<>").split(">")[0]
                    if address in box.refuse_recipients:
                        self.reply("550 5.1.1 no such user")
                    else:
                        recipients.append(address)
                        self.reply("250 OK")
                elif verb == "DATA":
                    self.reply("354 end with <CRLF>.<CRLF>")
                    lines = []
                    while (line := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
                        lines.append(line.decode("utf-8", "replace"))
                    with box.lock:
                        box.accepted.append((recipients, "".join(lines)))
                    self.reply("250 OK queued")
                elif verb in ("RSET", "NOOP"):
                    self.reply("250 OK")
                elif verb == "QUIT":
                    self.reply("221 bye")
                    return
                else:
                    self.reply("502 command not implemented")
        except (ConnectionError, TimeoutError):
            return


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


class SmtpServer:
    """Not listening until `start()`: a client meanwhile gets "connection refused"."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.mailbox = Mailbox()
        self._server: _Server | None = None

    def start(self) -> None:
        server = _Server(("127.0.0.1", self.port), _Session)
        server.mailbox = self.mailbox  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self._server = server

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
