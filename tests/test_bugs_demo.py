"""The demo data: ``seed-demo`` adds bugs that every page can show, exactly once."""

from __future__ import annotations

from sqlalchemy import func, select

from bugzot.extensions import db
from bugzot.models import Attachment, Bug, Comment
from bugzot.seed.demo import seed_demo


def test_seed_demo_adds_bugs_once_and_pages_render(app, client, auth):
    seed_demo("welcome-to-the-demo")
    seed_demo("welcome-to-the-demo")  # idempotent
    assert db.session.scalar(select(func.count()).select_from(Bug)) == 7
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == 1
    assert db.session.scalar(select(func.count()).select_from(Comment).where(Comment.is_private)) == 1
    auth.login("reporter", "welcome-to-the-demo")
    home = client.get("/").get_data(as_text=True)
    desktop_row = home.split(">Desktop App</a></td>", 1)[1].split("</tr>", 1)[0]
    assert '">3</a></td>' in desktop_row  # three open Desktop App bugs (linked to their list)
    for bug_id in sorted(db.session.scalars(select(Bug.id))):
        page = client.get(f"/bugs/{bug_id}")
        assert page.status_code == 200
        assert "ACME" not in page.get_data(as_text=True)  # the private comment stays private
    patch = db.session.scalar(select(Attachment.id))
    assert client.get(f"/attachments/{patch}/diff").status_code == 200
