#!/usr/bin/env python3
"""How much bug mail a day of ordinary activity sends: every change mailed at once,
with the 2-minute coalescing window, and with the window plus daily digests for the
people who only follow along (leads watching whole products, reporters).

    .venv/bin/python benchmarks/mail_noise.py            # prints one line per scenario
    .venv/bin/python benchmarks/mail_noise.py --seed 7   # another day of the same shape

The day is scripted (deterministic for a seed) on a fresh SQLite database, through the
services as the web pages call them, with a simulated clock: a team of 12 (3 reporters,
5 developers, 2 QA, 2 leads who watch their products), 2 products, 40 open bugs from
earlier days; over 8 hours: 8 new bugs, each triaged by a lead in three quick saves
(assignee, priority, a comment); developers comment (often twice within a minute, the
second a correction), take bugs, attach patches, resolve them with a comment, write
private notes; QA verifies; reporters comment and CC themselves. The mail worker runs
every minute of the simulated day, as a service would, and once more the next morning
for the digests. Counted: messages handed to the mail backend (a folder).
"""

from __future__ import annotations

import argparse
import email
import io
import random
import sys
import tempfile
from collections import Counter
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bugzot import create_app  # noqa: E402
from bugzot.permissions import SYSTEM  # noqa: E402

START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # a Monday, 09:00 UTC


class Clock:
    """The simulated time every module that stamps outbox rows reads."""

    def __init__(self) -> None:
        self.now = START - timedelta(days=1)

    def __call__(self) -> datetime:
        return self.now


@contextmanager
def simulated(clock: Clock):
    from bugzot.notify import worker
    from bugzot.services import history, outbox

    saved = [(module, module.utcnow) for module in (outbox, worker, history)]
    for module, _ in saved:
        module.utcnow = clock
    try:
        yield
    finally:
        for module, original in saved:
            module.utcnow = original


def build_team():
    from bugzot.services import catalogue, notifications
    from bugzot.services.accounts import create_user

    cls = catalogue.save_classification(SYSTEM, None, name="Default")
    for name, components in (("Widget", ("Engine", "UI")), ("Gadget", ("Core", "Docs"))):
        product = catalogue.save_product(SYSTEM, None, name=name, classification_id=cls.id)
        for component in components:
            catalogue.save_component(SYSTEM, product, None, name=component, description=component)
        catalogue.save_version(SYSTEM, product, None, value="1.0")

    def user(name: str, role: str):
        return create_user(SYSTEM, name, f"{name}@example.com", "noise-password-123",
                           role_name=role, active=True)

    team = {
        "reporters": [user(f"rep{i}", "Reporter") for i in range(3)],
        "devs": [user(f"dev{i}", "Employee") for i in range(5)],
        "qa": [user(f"qa{i}", "Employee") for i in range(2)],
        "leads": [user(f"lead{i}", "Employee") for i in range(2)],
    }
    notifications.add_watch(team["leads"][0], "Widget")
    notifications.add_watch(team["leads"][1], "Gadget")
    return team


def file(reporter, rng: random.Random, n: int):
    from bugzot.services.bugs import NewBug, file_bug

    product, component = rng.choice([("Widget", "Engine"), ("Widget", "UI"),
                                     ("Gadget", "Core"), ("Gadget", "Docs")])
    return file_bug(reporter, NewBug(product=product, component=component, version="1.0",
                                     summary=f"Problem number {n}", description="Steps..."))


def save(user, bug, fields=None, comment: str = "", private: bool = False, cc_add=()):
    from bugzot.services.bugs import BugEdit, NewComment, SetEdit, update_bug

    return update_bug(user, bug, BugEdit(bug.revision, dict(fields or {}),
                                         cc=SetEdit(add=frozenset(cc_add)),
                                         comment=NewComment(comment, private) if comment else None))


def attach(user, bug):
    from bugzot.services.attachments import add_attachment
    from bugzot.services.commands import Upload

    add_attachment(user, bug, Upload("fix.patch", io.BytesIO(b"--- a\n+++ b\n"), description="Fix",
                                     is_patch=True))


def the_day(team, rng: random.Random, backlog: list, actions: list) -> None:
    """Schedule the day into ``actions``: (minute of the day, action) pairs, an action a
    callable of no arguments (filing a bug schedules its triage)."""
    devs, qa, leads, reporters = team["devs"], team["qa"], team["leads"], team["reporters"]
    owner = {bug.id: bug.assignee for bug in backlog}
    for n in range(8):  # new bugs, each triaged by its product's lead in three quick saves
        at = rng.randrange(0, 420)
        reporter = rng.choice(reporters)

        def filed(reporter=reporter, n=n, at=at):
            bug = file(reporter, rng, 100 + n)
            lead = leads[0] if bug.product.name == "Widget" else leads[1]
            dev = rng.choice(devs)
            owner[bug.id] = dev
            backlog.append(bug)
            actions.append((at + 20, lambda: save(lead, bug, {"assigned_to": dev})))
            actions.append((at + 20.5, lambda: save(lead, bug, {"priority": rng.choice(["P1", "P2"])})))
            actions.append((at + 21, lambda: save(lead, bug, comment="Please look at this first.")))
        actions.append((at, filed))
    for bug in rng.sample(backlog, 30):  # developers at work
        dev = owner[bug.id]
        at = rng.randrange(0, 460)
        actions.append((at, lambda bug=bug, dev=dev: save(dev, bug, comment="Reproduced it.")))
        if rng.random() < 0.5:  # a correction a few seconds later
            actions.append((at + 0.3, lambda bug=bug, dev=dev: save(dev, bug, comment="(on 1.0 only)")))
        if rng.random() < 0.3:
            actions.append((at + 40, lambda bug=bug, dev=dev: save(
                dev, bug, comment="Internal: customer X is affected.", private=True)))
    for bug in rng.sample(backlog, 12):  # fixed: take it, patch, resolve
        dev = owner[bug.id]
        at = rng.randrange(60, 400)
        actions.append((at, lambda bug=bug, dev=dev: save(dev, bug, {"bug_status": "ASSIGNED"})))
        actions.append((at + 50, lambda bug=bug, dev=dev: attach(dev, bug)))
        actions.append((at + 51, lambda bug=bug, dev=dev: save(
            dev, bug, {"bug_status": "RESOLVED", "resolution": "FIXED"}, comment="Fixed by the patch.")))
        if rng.random() < 0.5:
            tester = rng.choice(qa)
            actions.append((at + 70, lambda bug=bug, tester=tester: save(
                tester, bug, {"bug_status": "VERIFIED"}, comment="Verified on the nightly build.")))
    for _ in range(10):  # reporters chime in
        bug, reporter = rng.choice(backlog), rng.choice(reporters)
        at = rng.randrange(0, 470)
        actions.append((at, lambda bug=bug, reporter=reporter: save(
            reporter, bug, comment="Same here.", cc_add=[reporter])))
    return actions


def run(scenario: str, seed: int) -> tuple[int, int, Counter]:
    """(messages sent, changes made, X-BugZot-Reason words of the messages) during the
    scripted day under ``scenario`` (a message to an assignee who is also CC counts
    once in the total, under both words)."""
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({
            "TESTING": True, "SECRET_KEY": "noise", "SQLALCHEMY_DATABASE_URI":
            f"sqlite:///{folder}/noise.sqlite", "MAIL_OUTBOX": f"{folder}/outbox",
            "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024, "ARGON2_PARALLELISM": 1,
            "BASE_URL": "http://bugs.example.com", "LOG_LEVEL": "WARNING",
            "MAIL_COALESCE_SECONDS": 0 if scenario == "every change" else 120,
        }, instance_path=f"{folder}/instance")
        clock = Clock()
        with app.app_context(), simulated(clock):
            from flask_migrate import upgrade

            from bugzot.extensions import db
            from bugzot.notify import worker
            from bugzot.services import notifications
            from bugzot.services.read.notifications import DEFAULT_ENABLED
            from bugzot.services.roles import ensure_default_roles

            upgrade()
            ensure_default_roles()
            rng = random.Random(seed)
            team = build_team()
            backlog = [file(rng.choice(team["reporters"]), rng, n) for n in range(40)]
            for bug in backlog:
                save(team["leads"][0], bug, {"assigned_to": rng.choice(team["devs"])})
            clock.now = START - timedelta(hours=1)
            worker.run_once()  # yesterday's mail is not today's
            for old in Path(folder, "outbox").glob("*.eml"):
                old.unlink()
            if scenario == "window + digests":
                for person in team["leads"] + team["reporters"]:
                    notifications.save_prefs(person, notifications.PrefsEdit(DEFAULT_ENABLED,
                                                                             digest="daily"))
            sent: Counter = Counter()
            pending: list = []
            the_day(team, rng, backlog, pending)
            pending.sort(key=lambda a: a[0])
            minute = 0.0
            while pending or minute < 8 * 60:
                while pending and pending[0][0] <= minute:
                    at, action = pending.pop(0)
                    clock.now = START + timedelta(minutes=at)
                    action()
                    sent["changes"] += 1
                    pending.sort(key=lambda a: a[0])  # filing schedules the triage
                minute += 1
                clock.now = START + timedelta(minutes=minute)
                sent["messages"] += worker.run_once().sent
            clock.now = START + timedelta(days=1)  # the next morning: the digests
            sent["messages"] += worker.run_once().sent
            db.engine.dispose()
        reasons: Counter = Counter()
        for path in Path(folder, "outbox").glob("*.eml"):
            with open(path, "rb") as fh:
                reasons.update(email.message_from_binary_file(fh)["X-BugZot-Reason"].split())
    return sent["messages"], sent["changes"], reasons


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    print(f"A scripted day of activity (seed {args.seed}): messages sent")
    baseline = None
    for scenario in ("every change", "2-minute window", "window + digests"):
        count, changes, reasons = run(scenario, args.seed)
        baseline = baseline or count
        print(f"  {scenario:<18} {count:5d} messages for {changes} changes "
              f"({count / changes:.1f} per change, {count / baseline:.0%} of every change)")
        print(" " * 21 + "as " + ", ".join(f"{word} {n}" for word, n in reasons.most_common()))


if __name__ == "__main__":
    main()
