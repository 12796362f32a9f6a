#!/usr/bin/python3
"""A real SMTP server for the mail tests (aiosmtpd from Debian's python3-aiosmtpd).

Listens on 127.0.0.1 (the given --port, or a free one), saves every accepted message as
<dir>/<ns>-<n>.eml (envelope in X-Envelope-From / X-Envelope-To headers, then the bytes as
received), prints "READY <port>" once it accepts connections, and exits on SIGTERM or after
--max-seconds. RCPT TO an address starting with "reject-" is refused with 550.
"""
import argparse
import os
import socket
import sys
import time

from aiosmtpd.controller import Controller


class SaveHandler:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("reject-"):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        name = f"{time.time_ns()}-{self.count}"
        tmp = os.path.join(self.directory, "." + name + ".tmp")
        content = envelope.original_content or envelope.content
        with open(tmp, "wb") as f:
            f.write(f"X-Envelope-From: {envelope.mail_from}\r\n".encode())
            f.write(f"X-Envelope-To: {','.join(envelope.rcpt_tos)}\r\n".encode())
            f.write(content)
        os.rename(tmp, os.path.join(self.directory, name + ".eml"))
        return "250 Message accepted for delivery"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--max-seconds", type=float, default=120)
    a = p.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    port = a.port or free_port()
    controller = Controller(SaveHandler(a.dir), hostname="127.0.0.1", port=port)
    controller.start()
    print(f"READY {port}", flush=True)
    deadline = time.monotonic() + a.max_seconds
    try:
        while time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
