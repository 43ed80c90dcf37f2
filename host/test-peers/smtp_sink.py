"""An SMTP server for Quire's tests: aiosmtpd on HOST:PORT that writes each message it
accepts as one JSON file in DIR (envelope sender and recipients, the raw message, and its
subject, sender, recipients and text body as a mail reader shows them).

A recipient whose local part starts with `rejected` is refused for good (550), one that
starts with `busy` for now (451), so tests can see both kinds of refusal from a real
server. DIR/ready is written once the port is bound.

Usage: python smtp_sink.py HOST PORT DIR
"""

import asyncio
import email
import email.policy
import json
import os
import sys

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0]
        if local.startswith("rejected"):
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        if local.startswith("busy"):
            return "451 4.3.0 <%s>: try again later" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "subject": str(message["subject"] or ""),
            "from": str(message["from"] or ""),
            "to": str(message["to"] or ""),
            "content_type": message.get_content_type(),
            "body": body.get_content().replace("\r\n", "\n") if body is not None else "",
            "raw": raw.decode("utf-8", errors="replace"),
        }
        name = os.path.join(self.directory, "%06d.json" % self.count)
        with open(name + ".tmp", "w", encoding="utf-8") as out:
            json.dump(record, out)
        os.rename(name + ".tmp", name)
        return "250 Message accepted for delivery"


async def main(host, port, directory):
    loop = asyncio.get_running_loop()
    sink = Sink(directory)
    server = await loop.create_server(
        lambda: SMTP(sink, hostname="quire-test-sink", enable_SMTPUTF8=True),
        host=host,
        port=port,
        reuse_address=True,
    )
    with open(os.path.join(directory, "ready"), "w") as ready:
        ready.write("%s:%d\n" % (host, port))
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3]))
