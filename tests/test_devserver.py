"""run.py, the development server: the BASE_URL of mail links follows the address it
serves unless a public one is configured, and its mail worker thread sends with it."""

from __future__ import annotations

import os
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import run  # noqa: E402  (the checkout's run.py)


@pytest.mark.parametrize("configured, host, port, expected", [
    ("http://127.0.0.1:5000", "127.0.0.1", 8080, "http://127.0.0.1:8080"),  # the default
    ("http://localhost:5000", "0.0.0.0", 5001, "http://127.0.0.1:5001"),
    ("http://127.0.0.1:5000", "::1", 5002, "http://[::1]:5002"),
    ("https://bugs.example.com", "127.0.0.1", 8080, "https://bugs.example.com"),  # public
])
def test_mail_links_follow_the_served_address(configured, host, port, expected):
    assert run.served_base_url(configured, host, port) == expected


def test_the_worker_thread_sends_mail_with_the_served_address(live_app, client):
    from conftest import post_form

    live_app.config.update(BASE_URL="http://127.0.0.1:5123", MAIL_POLL_SECONDS=0.2)
    stop = run.start_mail_worker(live_app)
    try:
        response = post_form(client, "/register", {
            "username": "newbie", "email": "newbie@example.com", "real_name": "",
            "password": "a long enough pass phrase", "confirm": "a long enough pass phrase"})
        assert response.status_code in (200, 302), response.get_data(as_text=True)[:500]
        folder = live_app.config["MAIL_OUTBOX"]
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not (os.path.isdir(folder) and os.listdir(folder)):
            time.sleep(0.1)
        names = os.listdir(folder)
        assert names, "the worker thread sent nothing"
        with open(os.path.join(folder, names[0]), encoding="utf-8") as fh:
            assert "http://127.0.0.1:5123/" in fh.read()
    finally:
        stop.set()
