"""The OpenAPI 3 document of the REST API, served at ``/rest/openapi.json``.

Written as data next to the endpoints it describes; ``tests/test_api_schema.py`` fuzzes
the running API from it with schemathesis (every answer must match its schema, and no
input may cause a 500), which keeps the two in step.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify

from bugzot.api.blueprint import bp
from bugzot.api.users import BUGZILLA_VERSION

_STR, _INT, _BOOL = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
_NULLABLE_INT = {"type": ["integer", "null"]}
_LIST_STR = {"type": "array", "items": _STR}
_ERROR = {"type": "object", "required": ["error", "code", "message"], "properties": {
    "error": {"const": True}, "code": _INT, "message": _STR, "documentation": _STR}}
_USER = {"type": "object", "required": ["id", "name"], "properties": {
    "id": _INT, "name": _STR, "email": _STR, "real_name": _STR, "can_login": _BOOL}}
_BUG = {"type": "object", "required": ["id"], "properties": {
    "id": _INT, "summary": _STR, "status": _STR, "resolution": _STR, "product": _STR,
    "component": _STR, "version": _STR, "severity": _STR, "priority": _STR,
    "assigned_to": _STR, "creator": _STR, "qa_contact": _STR, "cc": _LIST_STR,
    "depends_on": {"type": "array", "items": _INT}, "blocks": {"type": "array", "items": _INT},
    "dupe_of": _NULLABLE_INT, "is_open": _BOOL, "creation_time": _STR,
    "last_change_time": _STR, "revision": _INT}}
_COMMENT = {"type": "object", "required": ["id", "bug_id", "count", "text"], "properties": {
    "id": _INT, "bug_id": _INT, "count": _INT, "text": _STR, "creator": _STR,
    "is_private": _BOOL, "attachment_id": _NULLABLE_INT}}
_ATTACHMENT = {"type": "object", "required": ["id", "bug_id", "file_name"], "properties": {
    "id": _INT, "bug_id": _INT, "file_name": _STR, "summary": _STR, "content_type": _STR,
    "size": _INT, "data": _STR, "is_private": _BOOL, "is_patch": _BOOL, "is_obsolete": _BOOL}}
_PRODUCT = {"type": "object", "required": ["id", "name", "components", "versions"],
            "properties": {"id": _INT, "name": _STR, "components": {"type": "array"},
                           "versions": {"type": "array"}}}
_SET = {"oneOf": [{"type": "array", "items": {"oneOf": [_INT, _STR]}},
                  {"type": "object", "properties": {
                      k: {"type": "array", "items": {"oneOf": [_INT, _STR]}}
                      for k in ("add", "remove", "set")}}]}


def _obj(**properties: Any) -> dict[str, Any]:
    return {"type": "object", "required": list(properties), "properties": properties}


def _query(*names: str, array: bool = True) -> list[dict[str, Any]]:
    schema = {"type": "array", "items": _STR} if array else _STR
    return [{"name": n, "in": "query", "required": False, "schema": schema,
             **({"style": "form", "explode": True} if array else {})} for n in names]


_AUTH = _query("Bugzilla_api_key", "Bugzilla_token", array=False)


def _path(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": _STR}
_PATH_ID = [{"name": "id_or_alias", "in": "path", "required": True, "schema": _STR}]


def _op(summary: str, ok: dict[str, Any], params: list | None = None, body: dict | None = None,
        created: bool = False) -> dict[str, Any]:
    responses = {"201" if created else "200": {
        "description": "Done", "content": {"application/json": {"schema": ok}}}}
    for status in ("400", "401", "404", "413"):
        responses[status] = {"description": "Bugzilla error",
                             "content": {"application/json": {"schema": _ERROR}}}
    op: dict[str, Any] = {"summary": summary, "parameters": [*_AUTH, *(params or [])],
                          "responses": responses}
    if body is not None:
        op["requestBody"] = {"required": True,
                             "content": {"application/json": {"schema": body}}}
    return op


_SEARCH = _query("id", "product", "component", "version", "bug_status", "resolution",
                 "bug_severity", "priority", "assigned_to", "reporter", "cc", "qa_contact",
                 "target_milestone", "short_desc", "longdesc", "include_fields",
                 "exclude_fields") + _query("limit", "offset", "last_change_time", array=False)
_NEW_BUG = {"type": "object", "required": ["product", "component", "summary"], "properties": {
    "product": _STR, "component": _STR, "summary": _STR, "version": _STR, "description": _STR,
    "severity": _STR, "priority": _STR, "op_sys": _STR, "platform": _STR, "assigned_to": _STR,
    "qa_contact": _STR, "cc": _LIST_STR, "is_private": _BOOL,
    "depends_on": {"type": "array", "items": _INT}, "blocks": {"type": "array", "items": _INT}}}
_UPDATE = {"type": "object", "properties": {
    "ids": {"type": "array", "items": {"oneOf": [_INT, _STR]}}, "summary": _STR,
    "status": _STR, "resolution": _STR, "priority": _STR, "severity": _STR,
    "assigned_to": _STR, "dupe_of": _NULLABLE_INT, "depends_on": _SET, "blocks": _SET,
    "cc": {"type": "object", "properties": {"add": _LIST_STR, "remove": _LIST_STR}},
    "comment": {"type": "object", "properties": {"comment": _STR, "is_private": _BOOL}},
    "last_change_time": _STR, "revision": _INT}}
_ATTACH = {"type": "object", "required": ["file_name", "data"], "properties": {
    "file_name": _STR, "summary": _STR, "content_type": _STR, "data": _STR, "comment": _STR,
    "is_private": _BOOL, "is_patch": _BOOL, "ids": {"type": "array", "items": _INT}}}
_CHANGE = {"type": "object", "properties": {"added": _STR, "removed": _STR}}


def document() -> dict[str, Any]:
    """The OpenAPI 3.1 description of ``/rest``."""
    bugs_list = _obj(bugs={"type": "array", "items": _BUG})
    paths = {
        "/rest/version": {"get": _op("Bugzilla version", _obj(version=_STR))},
        "/rest/login": {"get": _op("Log in for a token", _obj(id=_INT, token=_STR),
                                   _query("login", "password", array=False))},
        "/rest/logout": {"get": _op("End the token", {"type": "object"})},
        "/rest/whoami": {"get": _op("The caller", _USER)},
        "/rest/user": {"get": _op("Find users", _obj(users={"type": "array", "items": _USER}),
                                  _query("ids", "names", "match"))},
        "/rest/bug": {"get": _op("Search bugs", bugs_list, _SEARCH),
                      "post": _op("File a bug", _obj(id=_INT), body=_NEW_BUG)},
        "/rest/bug/{id_or_alias}": {
            "get": _op("One bug", bugs_list,
                       [*_PATH_ID, *_query("include_fields", "exclude_fields", "ids")]),
            "put": _op("Change bugs", _obj(bugs={"type": "array", "items": _obj(
                id=_INT, changes={"type": "object", "additionalProperties": _CHANGE})}),
                _PATH_ID, _UPDATE)},
        "/rest/bug/{id_or_alias}/comment": {"get": _op(
            "A bug's comments", _obj(bugs={"type": "object", "additionalProperties": _obj(
                comments={"type": "array", "items": _COMMENT})}),
            [*_PATH_ID, *_query("new_since", array=False)])},
        "/rest/bug/{id_or_alias}/history": {"get": _op(
            "A bug's history", _obj(bugs={"type": "array"}), _PATH_ID)},
        "/rest/bug/{id_or_alias}/attachment": {
            "get": _op("A bug's attachments", _obj(bugs={
                "type": "object", "additionalProperties": {"type": "array", "items": _ATTACHMENT}}),
                [*_PATH_ID, *_query("exclude_fields")]),
            "post": _op("Attach a file", _obj(ids={"type": "array", "items": _INT}), _PATH_ID,
                        _ATTACH, created=True)},
        "/rest/bug/attachment/{attachment_id}": {
            "get": _op("One attachment", _obj(attachments={
                "type": "object", "additionalProperties": _ATTACHMENT}),
                [_path("attachment_id"), *_query("exclude_fields")]),
            "put": _op("Change an attachment", _obj(attachments={"type": "array"}),
                       [_path("attachment_id")], {"type": "object", "properties": {
                           "summary": _STR, "is_patch": _BOOL, "is_obsolete": _BOOL,
                           "is_private": _BOOL}})},
        "/rest/bug/comment/{comment_id}": {"get": _op(
            "One comment", _obj(comments={"type": "object", "additionalProperties": _COMMENT}),
            [_path("comment_id")])},
        "/rest/product_accessible": {"get": _op("Products one may search",
                                                _obj(ids={"type": "array", "items": _INT}))},
        "/rest/product_enterable": {"get": _op("Products one may file in",
                                               _obj(ids={"type": "array", "items": _INT}))},
        "/rest/product_selectable": {"get": _op("Products one may search",
                                                _obj(ids={"type": "array", "items": _INT}))},
        "/rest/product/get": {"get": _op("Products", _obj(products={
            "type": "array", "items": _PRODUCT}), _query("ids", "names", "include_fields"))},
        "/rest/field/bug": {"get": _op("Bug fields", _obj(fields={"type": "array"}))},
    }
    return {"openapi": "3.1.0",
            "info": {"title": "BugZot REST API (Bugzilla-compatible)",
                     "version": BUGZILLA_VERSION},
            "paths": paths}


@bp.get("/openapi.json")
def openapi_json():
    """The OpenAPI document."""
    return jsonify(document())
