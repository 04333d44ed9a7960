"""``/rest/product_*``, ``/rest/product/get`` and ``/rest/field/bug``: the catalogue and
the bug fields, as Bugzilla clients ask for them."""

from __future__ import annotations

from flask import jsonify

from bugzot import permissions, workflow
from bugzot.api.auth import caller
from bugzot.api.blueprint import bp
from bugzot.api.params import arg_list, ids_arg
from bugzot.api.serializers import login
from bugzot.fields import FIELDS
from bugzot.services.read import catalogue


def _visible_products(enterable: bool = False):
    """The products the caller may read (all of them once they may browse bugs), or file
    bugs in (active ones with an active component, for those who may file)."""
    user = caller()
    if not permissions.can(user, permissions.BUG_VIEW):
        return []
    if enterable:
        return catalogue.products_for_filing() if permissions.can(
            user, permissions.BUG_CREATE) else []
    return catalogue.products()


@bp.get("/product_accessible")
@bp.get("/product_selectable")
def accessible():
    """Ids of the products the caller may search."""
    return jsonify(ids=sorted(p.id for p in _visible_products()))


@bp.get("/product_enterable")
def enterable():
    """Ids of the products the caller may file bugs in."""
    return jsonify(ids=sorted(p.id for p in _visible_products(enterable=True)))


@bp.get("/product/get")
@bp.get("/product")
def products():
    """Products by ``ids`` and/or ``names`` (none given: all the caller may see), with
    their components, versions and milestones."""
    ids, names = set(ids_arg("ids")), set(arg_list("names"))
    found = [p for p in _visible_products()
             if (not ids and not names) or p.id in ids or p.name in names]
    return jsonify(products=[_product(p) for p in found])


def _product(p) -> dict:
    return {
        "id": p.id, "name": p.name, "description": p.description, "is_active": p.is_active,
        "classification": p.classification.name,
        "components": [{"id": c.id, "name": c.name, "description": c.description,
                        "is_active": c.is_active,
                        "default_assigned_to": login(c.default_assignee),
                        "default_qa_contact": login(c.default_qa_contact)}
                       for c in p.components],
        "versions": [{"id": v.id, "name": v.value, "is_active": v.is_active} for v in p.versions],
        "milestones": [{"id": m.id, "name": m.value, "is_active": m.is_active,
                        "sort_key": m.sortkey} for m in p.milestones],
    }


_TYPES = {"text": 1, "choice": 2, "status": 2, "resolution": 2, "user": 1, "bug": 9,
          "bugs": 9, "bool": 1, "time": 5, "int": 1, "product": 2, "component": 2,
          "version": 2, "milestone": 2}


@bp.get("/field/bug")
def fields():
    """The bug fields (from the field table) with the values of the enumerated ones."""
    out = []
    for spec in FIELDS:
        values = spec.choices
        if spec.type == "status":
            values = workflow.STATUSES
        out.append({"name": spec.api, "display_name": spec.label, "type": _TYPES[spec.type],
                    "is_mandatory": spec.api in ("product", "component", "summary"),
                    "is_on_bug_entry": spec.filing, "is_custom": False,
                    "values": [{"name": v, "is_open": workflow.is_open(v)}
                               if spec.type == "status" else {"name": v} for v in values]})
    return jsonify(fields=out)
