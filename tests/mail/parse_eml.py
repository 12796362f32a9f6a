#!/usr/bin/python3
"""Parses one .eml file with Python's email package (policy.default, strict enough to report
defects) and prints JSON: from, to, subject, message_id, date, mime, parts [{type, charset,
body}], defects, crlf_only, max_line."""
import email
import email.policy
import json
import sys


def main():
    raw = open(sys.argv[1], "rb").read()
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    lines = raw.split(b"\r\n")
    parts = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        parts.append({"type": part.get_content_type(),
                      "charset": part.get_content_charset() or "",
                      "body": part.get_content().replace("\r\n", "\n")})
    defects = [type(d).__name__ for d in msg.defects]
    for part in msg.walk():
        defects += [type(d).__name__ for d in part.defects]
    out = {
        "from": str(msg["From"] or ""),
        "to": str(msg["To"] or ""),
        "subject": str(msg["Subject"] or ""),
        "message_id": str(msg["Message-ID"] or ""),
        "date": str(msg["Date"] or ""),
        "mime": msg.get_content_type(),
        "parts": parts,
        "defects": defects,
        "crlf_only": b"\n" not in raw.replace(b"\r\n", b""),
        "max_line": max(len(l) for l in lines),
        "envelope_to": str(msg["X-Envelope-To"] or ""),
    }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
