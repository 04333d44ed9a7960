"""The unmodified python-bugzilla 3.3.0 client against a live BugZot: its ``bugzilla``
command in a subprocess (with an isolated HOME holding a bugzillarc with an API key)
and its Python module. Runs on SQLite and PostgreSQL (``live_server``); test_apache.py
runs the same client through Apache and mod_wsgi."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import bugzilla
import pytest

from bugzot.extensions import db
from bugzot.models import Attachment, Bug, Comment
from bugzot.services import api_keys
from tests.conftest import PASSWORD, edit

BUGZILLA = str(Path(sys.executable).with_name("bugzilla"))


class Client:
    """The ``bugzilla`` command for one user, with its own HOME (bugzillarc, token cache)."""

    def __init__(self, base: str, home: Path, key: str | None):
        self.url, self.home = f"{base}/rest/", home
        config = home / ".config" / "python-bugzilla"
        config.mkdir(parents=True, exist_ok=True)
        if key:
            host = base.split("//", 1)[1]
            (config / "bugzillarc").write_text(f"[{host}]\napi_key = {key}\n")

    def run(self, *args: str, stdin: str | bytes | None = None, ok: bool = True, cwd=None):
        env = {**os.environ, "HOME": str(self.home), "PYTHONWARNINGS": "ignore"}
        options = [a for a in args if a == "--ensure-logged-in"]  # options before the command
        args = tuple(a for a in args if a not in options)
        done = subprocess.run([BUGZILLA, "--bugzilla", self.url, *options, *args], env=env,
                              cwd=cwd,
                              input=stdin, capture_output=True, timeout=120,
                              text=not isinstance(stdin, bytes))
        output = done.stdout if isinstance(done.stdout, str) else done.stdout.decode()
        errors = done.stderr if isinstance(done.stderr, str) else done.stderr.decode()
        if ok:
            assert done.returncode == 0, f"bugzilla {' '.join(args)}:\n{output}\n{errors}"
        return output + errors


@pytest.fixture
def world(live_app, live_server, make_user, make_product, make_bug, tmp_path):
    """Users with keys, a product, and clients for an Employee and a Reporter."""
    employee, reporter = make_user("emma", role="Employee"), make_user("rita")
    make_user("olga")
    make_product("Widget", components=("Core", "UI"), versions=("1.0", "2.0"))
    make_product("Gadget", components=("Motor",), versions=("3.0",))
    keys = {name: api_keys.create_key(user, "cli")[1]
            for name, user in (("emma", employee), ("rita", reporter))}
    clients = {name: Client(live_server, tmp_path / name, key) for name, key in keys.items()}
    return {"base": live_server, "keys": keys, "emma": clients["emma"], "rita": clients["rita"],
            "employee": employee, "reporter": reporter, "tmp": tmp_path}


def _ids(output: str) -> list[int]:
    return [int(line.split()[0].lstrip("#")) for line in output.splitlines()
            if line.startswith("#")]


def test_new_query_and_info(world):
    emma = world["emma"]
    out = emma.run("new", "--product", "Widget", "--component", "Core", "--version", "2.0",
                   "--summary", "Crash when saving", "--comment", "Steps: save twice.",
                   "--severity", "major", "--cc", "olga@example.com")
    [bug_id] = _ids(out)
    emma.run("new", "--product", "Gadget", "--component", "Motor", "--version", "3.0",
             "--summary", "Motor is loud", "--comment", "Hum.")
    out = emma.run("query", "--product", "Widget", "--component", "Core", "--status", "NEW",
                   "--summary", "crash")
    assert _ids(out) == [bug_id] and "Crash when saving" in out
    assert _ids(emma.run("query", "--product", "Gadget")) != [bug_id]
    assert _ids(emma.run("query", "--assigned_to", "nobody@nowhere.example", ok=False)) == []
    full = emma.run("query", "--bug_id", str(bug_id), "--full")
    assert "Steps: save twice." in full and "olga@example.com" in full and "Component: Core" in full
    got = json.loads(emma.run("query", "--bug_id", str(bug_id), "--json"))
    assert got["bugs"][0]["id"] == bug_id and got["bugs"][0]["severity"] == "major"
    assert set(emma.run("info", "--products").split()) >= {"Widget", "Gadget"}
    assert emma.run("info", "--components", "Widget").split() == ["Core", "UI"]
    assert emma.run("info", "--versions", "Widget").split() == ["1.0", "2.0"]


def test_modify_status_assignee_close_dupe_and_private_comment(world, make_bug):
    emma = world["emma"]
    bug, original = make_bug(product="Widget"), make_bug(product="Widget")
    bug_id, original_id = bug.id, original.id
    emma.run("modify", str(bug_id), "--status", "ASSIGNED", "--assigned_to", "emma@example.com")
    emma.run("modify", str(bug_id), "--comment", "INSIDER-ONLY note", "--private")
    emma.run("modify", str(bug_id), "--close", "FIXED", "--comment", "Fixed in 2.1.")
    db.session.expire_all()
    bug = db.session.get(Bug, bug_id)
    assert (bug.status, bug.resolution, bug.assignee.username) == ("CLOSED", "FIXED", "emma")
    private = db.session.query(Comment).filter_by(bug_id=bug_id, is_private=True).one()
    assert private.body == "INSIDER-ONLY note"
    other = make_bug(product="Widget")
    other_id = other.id
    emma.run("modify", str(other_id), "--dupeid", str(original_id), "--comment", "Same thing.")
    db.session.expire_all()
    dup = db.session.get(Bug, other_id)
    assert (dup.status, dup.resolution, dup.dup_of_id) == ("CLOSED", "DUPLICATE", original_id)
    out = world["rita"].run("modify", str(original_id), "--priority", "P1", ok=False)
    assert "You may not change the priority" in out  # a Reporter, the services' rule


def test_attach_and_get(world, make_bug):
    emma, tmp = world["emma"], world["tmp"]
    bug_id = make_bug(product="Widget").id
    log = tmp / "crash.log"
    log.write_bytes(b"Traceback: boom\n" * 20)
    with open(log, "rb") as stdin:
        out = emma.run("attach", "--file", str(log), "--description", "The crash log",
                       str(bug_id), stdin=stdin.read())
    assert f"on bug {bug_id}" in out
    att = db.session.query(Attachment).filter_by(bug_id=bug_id).one()
    assert (att.filename, att.description, att.size) == ("crash.log", "The crash log", 320)
    fetched = tmp / "fetched"
    fetched.mkdir()
    out = emma.run("attach", "--get", str(att.id), cwd=fetched)
    assert "Wrote" in out and (fetched / "crash.log").read_bytes() == log.read_bytes()


def test_login_with_password_and_with_an_api_key(world, make_bug):
    bug_id = make_bug(product="Widget", reporter=world["employee"], is_private=True).id
    fresh = Client(world["base"], world["tmp"] / "fresh", None)
    assert _ids(fresh.run("query", "--bug_id", str(bug_id))) == []  # anonymous: nothing
    out = fresh.run("login", "emma", PASSWORD)  # exits 0 only when the login worked
    assert "Logging into" in out and "not valid" not in out, out
    assert list((fresh.home / ".cache" / "python-bugzilla").glob("bugzillatoken*"))
    assert _ids(fresh.run("query", "--bug_id", str(bug_id))) == [bug_id]  # the token works
    assert "aren't logged in" not in fresh.run("--ensure-logged-in", "query", "--bug_id",
                                               str(bug_id))
    wrong = Client(world["base"], world["tmp"] / "wrong", None)
    assert "not valid" in wrong.run("login", "emma", "wrong-password", ok=False)
    keyed = Client(world["base"], world["tmp"] / "keyed", None)
    out = keyed.run("login", "--api-key", stdin=world["keys"]["emma"] + "\n")
    assert _ids(keyed.run("query", "--bug_id", str(bug_id))) == [bug_id], out


def test_a_reporters_key_sees_no_private_comment_attachment_or_bug(world, make_bug):
    employee, reporter = world["employee"], world["reporter"]
    bug = make_bug(product="Widget", reporter=reporter, summary="Public crash")
    secret = make_bug(product="Widget", reporter=employee, is_private=True,
                      summary="SECRET-BUG summary")
    edit(employee, bug, {"dependson": frozenset({secret.id})}, comment="SECRET-COMMENT",
         private=True)
    import io

    from bugzot.services import attachments
    from bugzot.services.commands import Upload
    attachments.add_attachment(employee, bug, Upload("secret.txt", io.BytesIO(b"x\n"),
                                                     description="SECRET-ATTACHMENT",
                                                     is_private=True))
    rita = world["rita"]
    everything = rita.run("query", "--product", "Widget", "--full") + rita.run(
        "query", "--bug_id", str(secret.id), "--full") + rita.run(
        "query", "--product", "Widget", "--json")
    for marker in ("SECRET-BUG", "SECRET-COMMENT", "SECRET-ATTACHMENT", "secret.txt"):
        assert marker not in everything, marker
    got = json.loads(rita.run("query", "--bug_id", str(bug.id), "--json"))["bugs"][0]
    assert got["depends_on"] == [] and "SECRET" not in json.dumps(got)


def test_the_python_module(world, make_bug):
    bz = bugzilla.Bugzilla(world["base"] + "/rest/", api_key=world["keys"]["emma"])
    assert bz.logged_in
    created = bz.createbug(bz.build_createbug(product="Widget", component="UI", version="1.0",
                                              summary="From Python", description="Body"))
    created.refresh()
    assert (created.summary, created.status, created.component) == ("From Python", "NEW", "UI")
    bz.update_bugs([created.id], bz.build_update(priority="P1", comment="Urgent",
                                                 comment_private=True))
    bug = bz.getbug(created.id)
    assert bug.priority == "P1"
    comments = bug.getcomments()
    assert [c["text"] for c in comments] == ["Body", "Urgent"] and comments[1]["is_private"]
    history = bz.bugs_history_raw([created.id])["bugs"][0]["history"]
    assert any(c["field_name"] == "priority" for h in history for c in h["changes"])
    found = bz.query(bz.build_query(product="Widget", short_desc="Python"))
    assert [b.id for b in found] == [created.id]
    assert bz.getuser("emma@example.com").email == "emma@example.com"
    bz.logout()
