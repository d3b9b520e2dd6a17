#!/usr/bin/env python3
"""A real SMTP server for the adapters' tests (aiosmtpd, Debian's python3-aiosmtpd).

Listens on --host (127.0.0.1 by default) and a free port, prints that port alone on the first line of
stdout once it accepts connections, and runs until its stdin closes (so it never outlives the test
that started it) or it is killed.

Every message it accepts is written to --directory as two files, renamed into place when complete:
`NNNN.json` ({"mail_from": ..., "rcpt_tos": [...]}) and `NNNN.eml` (the data exactly as received).
Every AUTH attempt appends its username to `auth-attempts` there, so a test can show that no
credentials were sent; every EHLO appends a line to `greetings`, so a test can count connections.

Options make it misbehave the ways a test needs:
  --username U --password P   require AUTH (PLAIN or LOGIN) with these, over plain text
  --reject-rcpt ADDRESS CODE  answer CODE (e.g. 550 or 451) to RCPT TO:<ADDRESS>
  --drop-after-data           close the connection after the data instead of replying
  --reply-delay-ms N          wait N ms after storing a message's data before replying: a sender
                              killed meanwhile never hears that it arrived (the RFC 1047 case)
  --starttls-self-signed      offer STARTTLS with a fresh self-signed certificate (needs `openssl`)
"""

import argparse
import asyncio
import json
import logging
import os
import socket
import ssl
import subprocess
import sys
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port(host):
    # Why not port 0 for the controller itself: it connects to its own port to check it is ready.
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class Sink:
    def __init__(self, directory, reject_rcpt, drop_after_data, reply_delay_ms):
        self.directory = directory
        self.reject_rcpt = {address.lower(): int(code) for address, code in reject_rcpt}
        self.drop_after_data = drop_after_data
        self.reply_delay_seconds = reply_delay_ms / 1000
        self.count = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with open(os.path.join(self.directory, "greetings"), "a") as greetings:
            greetings.write(hostname + "\n")
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        code = self.reject_rcpt.get(address.lower())
        if code is not None:
            return f"{code} sink refuses <{address}>"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        number = self.count
        stem = os.path.join(self.directory, f"{number:04}")
        write_atomically(stem + ".eml", envelope.original_content or envelope.content)
        record = {"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos}
        write_atomically(stem + ".json", json.dumps(record).encode())
        if self.reply_delay_seconds > 0:
            await asyncio.sleep(self.reply_delay_seconds)
        if self.drop_after_data:
            # The message arrived, but the client never hears so: the RFC 1047 case.
            server.transport.abort()
            return "250 dropped (never seen by the client)"
        return f"250 OK queued as sink-{number}"


def write_atomically(path, content):
    partial = path + ".partial"
    with open(partial, "wb") as file:
        file.write(content)
    os.rename(partial, path)


def self_signed_context(directory):
    certificate = os.path.join(directory, "certificate.pem")
    key = os.path.join(directory, "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-keyout", key, "-out", certificate],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate, key)
    return context


def authenticator_for(directory, username, password):
    def authenticate(server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        with open(os.path.join(directory, "auth-attempts"), "ab") as attempts:
            attempts.write(auth_data.login + b"\n")
        granted = auth_data.login == username.encode() and auth_data.password == password.encode()
        # handled=False: aiosmtpd then answers 535 itself (with the default it answers nothing).
        return AuthResult(success=granted, handled=False)

    return authenticate


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--directory", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--username")
    parser.add_argument("--password")
    parser.add_argument("--reject-rcpt", nargs=2, action="append", default=[],
                        metavar=("ADDRESS", "CODE"))
    parser.add_argument("--drop-after-data", action="store_true")
    parser.add_argument("--starttls-self-signed", action="store_true")
    parser.add_argument("--reply-delay-ms", type=int, default=0)
    arguments = parser.parse_args()
    # Plain-text AUTH is the point of some tests: aiosmtpd's warnings about it are noise here.
    warnings.simplefilter("ignore")
    logging.getLogger("mail.log").setLevel(logging.ERROR)

    settings = {}
    if arguments.username is not None:
        settings = {
            "authenticator": authenticator_for(
                arguments.directory, arguments.username, arguments.password or ""
            ),
            "auth_required": True,
            # Loopback tests only: credentials in plain text, which the client allows to loopback.
            "auth_require_tls": False,
        }
    if arguments.starttls_self_signed:
        settings["tls_context"] = self_signed_context(arguments.directory)
    handler = Sink(
        arguments.directory, arguments.reject_rcpt, arguments.drop_after_data,
        arguments.reply_delay_ms,
    )
    port = free_port(arguments.host)
    controller = Controller(handler, hostname=arguments.host, port=port, **settings)
    controller.start()
    print(port, flush=True)
    try:
        sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
