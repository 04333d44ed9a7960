"""Bug mail and webhooks: subscribers of the domain events and the worker that sends.

``init_app`` subscribes ``recipients.queue_notifications`` to the transaction phase of
``bugzot.events``: inside each unit of work that changed bugs it decides who hears about
the change (reporter, assignee, QA contact, CC, component watchers; their preferences,
ignored bugs) and which webhooks match, and writes outbox rows (``services.outbox``) that
commit or roll back with the change. The worker (``worker``; ``flask --app bugzot
send-mail``) renders each message when it sends it, with the recipient's permissions at
that moment (``render``, ``digest``, ``webhooks``), so nobody reads what they may not see.

Modules: ``changes`` (kinds of change), ``recipients`` (the subscriber), ``render`` (one
bug mail), ``digest`` (hourly/daily digests), ``webhooks`` (payloads, signatures, POST),
``transport`` (SMTP or the development folder), ``worker`` (claim, send, retry),
``commands`` (the CLI).
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Queue bug mail and webhook deliveries for every unit of work that changes bugs."""
    from bugzot import events
    from bugzot.notify.recipients import queue_notifications

    events.subscribe(app, queue_notifications, events.TRANSACTION)
