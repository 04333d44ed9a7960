"""The bug page's edit form on GET, written as plain HTML.

WTForms' widgets cost about a quarter of the bug page's CPU (``html_params``, flag
lookups and choice normalising per control), so a GET builds the controls here: the
same elements, ids, names, attributes (sorted, as ``wtforms.widgets.html_params`` writes
them) and selected values as ``BugEditForm`` would write, from labels and flags read
once from the form class. ``plain_form`` returns an object the templates use like the
form (``form[name]``, ``form.revision()``, ``f.label.text``, ``f.errors``...).
POSTs, and the pages re-shown after one (errors, mid-air), use ``BugEditForm`` itself;
``tests/test_page_cpu_form.py`` holds the two to the same markup.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from markupsafe import Markup, escape
from wtforms.fields.choices import SelectChoice
from wtforms.form import BaseForm
from wtforms.widgets import HiddenInput, Select, TextInput

from bugzot.forms.bugs import BugEditForm
from bugzot.views import page_cache


class Label(NamedTuple):
    """What the templates read of a field's label."""

    text: str


@dataclass(frozen=True)
class Spec:
    """One field of ``BugEditForm``, as far as writing its control needs."""

    name: str
    label: Label
    widget: str  # "select", "multiple", "text", "hidden" or "other" (written by the template)
    flags: Any  # a namedtuple of the field's flags (``f.flags.maxlength``)
    validation: tuple[tuple[str, Any], ...]  # flags the widget writes as attributes
    choices: tuple[Any, ...] = ()  # the class's own choices (severity, priority...)


def _spec(field: Any) -> Spec:
    widget = field.widget
    kind = ("multiple" if isinstance(widget, Select) and widget.multiple else
            "select" if isinstance(widget, Select) else
            "hidden" if isinstance(widget, HiddenInput) else
            "text" if isinstance(widget, TextInput) else "other")
    names = [k for k in dir(field.flags) if not k.startswith("_")]
    flags = NamedTuple("Flags", [(k, Any) for k in names])(*(getattr(field.flags, k) for k in names))
    attrs = getattr(widget, "validation_attrs", ())
    validation = tuple((k, getattr(field.flags, k)) for k in names if k in attrs)
    return Spec(field.name, Label(field.label.text), kind, flags, validation,
                tuple(getattr(field, "choices", None) or ()))


def _specs() -> dict[str, Spec]:
    """Every field of ``BugEditForm``, bound once without a request (no CSRF, no data)."""
    unbound = [(name, value) for name, value in vars(BugEditForm).items()
               if getattr(value, "_formfield", False)]
    return {field.name: _spec(field) for field in BaseForm(unbound)}


SPECS: dict[str, Spec] = _specs()  # read-only after import
CSRF = Spec("csrf_token", Label("CSRF Token"), "hidden", (), ())


def _key(key: str) -> str:
    key = key.rstrip("_")
    return key.replace("_", "-") if key.startswith(("data_", "aria_")) else key


def attributes(params: dict[str, Any]) -> str:
    """``params`` as ``wtforms.widgets.html_params`` writes them: sorted by key, ``True`` as
    a bare name, ``False`` left out, ``data_``/``aria_`` keys with hyphens."""
    return " ".join(_key(k) if v is True else f'{_key(k)}="{escape(v)}"'
                    for k, v in sorted(params.items()) if v is not False)


def _options(choices: Iterable[Any], selected: Any) -> str:
    out = []
    for choice in choices:
        value, label = (choice.value, choice.label) if isinstance(choice, SelectChoice) else (
            choice, choice)
        on = value in selected if isinstance(selected, (list, tuple, set, frozenset)) else (
            value == selected)
        out.append(f'<option {"selected " if on else ""}value="{escape(value)}">'
                   f"{escape(label or value)}</option>")
    return "".join(out)


class PlainField:
    """One control of the edit form; calling it writes what BugEditForm's widget would."""

    errors: tuple[str, ...] = ()

    def __init__(self, spec: Spec, data: Any, choices: list | None = None) -> None:
        self.spec, self.name, self.id = spec, spec.name, spec.name
        self.label, self.flags, self.data, self.choices = spec.label, spec.flags, data, choices

    def __call__(self, **kwargs: Any) -> Markup:
        spec = self.spec
        params = {"id": self.id, **kwargs}
        if spec.widget in ("text", "hidden"):
            params.setdefault("type", spec.widget)
            params.setdefault("value", "" if self.data is None else str(self.data))
        elif spec.widget == "multiple":
            params["multiple"] = True
        elif spec.widget != "select":
            raise TypeError(f"{spec.name}: the template writes this control itself")
        for key, value in spec.validation:
            if key not in kwargs:
                params[key] = value() if callable(value) else value
        params["name"] = self.name
        if spec.widget in ("text", "hidden"):
            return Markup(f"<input {attributes(params)}>")  # noqa: S704  # nosec B704 - escaped
        selected = self.data if self.data is not None else ()
        return Markup(  # noqa: S704  # nosec B704 - every value escaped above
            f"<select {attributes(params)}>{_options(self.choices or (), selected)}</select>")

    def __html__(self) -> Markup:
        return self()


class PlainForm:
    """The edit form on GET: ``form[name]`` and ``form.name`` are ``PlainField``s."""

    form_errors: tuple[str, ...] = ()

    def __init__(self, fields: dict[str, PlainField]) -> None:
        self._fields = fields

    def __getitem__(self, name: str) -> PlainField:
        return self._fields[name]

    def __getattr__(self, name: str) -> PlainField:
        try:
            return self.__dict__["_fields"][name]
        except KeyError:
            raise AttributeError(name) from None

    def __iter__(self):
        return iter(self._fields.values())


def plain_form(data: dict[str, Any], choices: dict[str, list]) -> PlainForm:
    """The edit form with ``data`` (what ``BugEditForm(data=...)`` takes) and the choices
    of its selects, for a GET of the bug page."""
    fields = {name: PlainField(spec, data.get(name), choices.get(name, spec.choices))
              for name, spec in SPECS.items()}
    fields["csrf_token"] = PlainField(CSRF, page_cache.csrf())
    return PlainForm(fields)
