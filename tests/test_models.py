"""Model constraints enforced by the database itself (not only by the services):
direct inserts that break them raise IntegrityError on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from bugzot.extensions import db
from bugzot.models import Classification, Component, Milestone, Product, Role, Version


@pytest.fixture
def products(app):
    """Two products, "Widget" and "Gadget", in one classification."""
    cls = Classification(name="Tools")
    widget, gadget = Product(name="Widget", classification=cls), Product(name="Gadget", classification=cls)
    db.session.add_all([widget, gadget])
    db.session.commit()
    return widget, gadget


def insert_fails(*objects) -> None:
    db.session.add_all(objects)
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_product_name_is_unique(products):
    widget, _ = products
    insert_fails(Product(name="Widget", classification_id=widget.classification_id))


def test_classification_name_is_unique(products):
    insert_fails(Classification(name="Tools"))


def test_role_name_is_unique(app):
    insert_fails(Role(name="Admin"))


@pytest.mark.parametrize("model,field", [(Component, "name"), (Version, "value"), (Milestone, "value")])
def test_unique_within_product(products, model, field):
    widget, gadget = products
    db.session.add(model(product=widget, **{field: "Same"}))
    db.session.commit()
    insert_fails(model(product_id=widget.id, **{field: "Same"}))
    # the same name in another product is fine
    db.session.add(model(product_id=gadget.id, **{field: "Same"}))
    db.session.commit()
    assert db.session.query(model).count() == 2


def test_product_needs_a_classification(app):
    insert_fails(Product(name="Orphan"))
