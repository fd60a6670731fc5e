#!/usr/bin/env python3
"""One SMTP session against a lab MTA, for capturing real log lines (capture.sh).

usage: smtp_client.py PORT SOURCE_IP HELO FROM RCPT[,RCPT...] [--auth USER:PASSWORD_FILE|--bad-auth USER]
Prints each reply; never fails on a refusal (the refusal is what the log should show).
"""
import smtplib
import sys

port, source, helo, sender, rcpts = sys.argv[1:6]
extra = sys.argv[6:]
s = smtplib.SMTP()
s.source_address = (source, 0)
s.connect("127.0.0.1", int(port))
s.ehlo(helo)
if extra and extra[0] == "--auth":
    user, path = extra[1].split(":", 1)
    password = open(path).read().strip().split(":", 1)[1]
    print("auth", s.login(user, password)[0])
elif extra and extra[0] == "--bad-auth":
    try:
        s.login(extra[1], "wrong-password-for-the-lab")
    except smtplib.SMTPAuthenticationError as e:
        print("auth refused", e.smtp_code)
print("mail", s.mail(sender))
accepted = []
for r in rcpts.split(","):
    code, msg = s.rcpt(r)
    print("rcpt", r, code, msg.decode(errors="replace"))
    if code < 300:
        accepted.append(r)
if accepted:
    print("data", s.data("Subject: relayguard lab\r\n\r\ncapture\r\n"))
s.quit()
