"""``GET /people?q=``: suggestions for the people fields (services.read.users.visible_people)."""

from __future__ import annotations

from bugzot.services.read.users import PEOPLE_LIMIT, visible_people


def test_people_needs_a_login(app, client):
    response = client.get("/people?q=a")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_people_match_username_or_a_word_of_the_real_name(app, client, login_as, make_user):
    make_user("quinn", real_name="Quinn Quality")
    make_user("bob", real_name="Robert Quist")
    make_user("quentin", active=False, real_name="Gone Away")
    make_user("zed", email="quiet@example.com")
    viewer = login_as("Reporter")
    answer = client.get("/people?q=Qu").get_json()
    # username "quinn", real name word "Quist"; not the inactive account, not by email
    assert answer == {"people": [{"username": "bob", "real_name": "Robert Quist"},
                                 {"username": "quinn", "real_name": "Quinn Quality"}]}
    assert client.get("/people?q=").get_json() == {"people": []}
    assert client.get("/people?q=%25").get_json() == {"people": []}  # LIKE wildcards are text
    assert [u.username for u in visible_people(viewer, "ROB")] == ["bob"]


def test_people_are_at_most_ten(app, client, login_as, make_user):
    for i in range(PEOPLE_LIMIT + 3):
        make_user(f"sam{i:02d}")
    login_as("Reporter")
    people = client.get("/people?q=sam&limit=50").get_json()["people"]
    assert len(people) == PEOPLE_LIMIT == 10
    assert [p["username"] for p in people] == sorted(p["username"] for p in people)
    assert len(client.get("/people?q=sam&limit=3").get_json()["people"]) == 3
    assert len(client.get("/people?q=sam&limit=x").get_json()["people"]) == 10
