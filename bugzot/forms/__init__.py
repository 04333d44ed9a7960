"""Flask-WTF forms by topic; every form carries a CSRF token."""

from __future__ import annotations

from flask_wtf import FlaskForm

from bugzot.exceptions import ServiceError


def apply_error(form: FlaskForm, exc: ServiceError) -> None:
    """Show a service's refusal on the field it names, or above the form."""
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = list(field.errors) + [exc.message]
    else:
        form.form_errors.append(exc.message)
