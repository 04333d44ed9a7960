"""Forms of bug-mail preferences, "ignore this bug", component watching and the webhook
admin pages. Choices from the database are filled in by the views; ``to_*`` methods turn
a validated form into the command its service takes."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from bugzot.services.notifications import PAIRS, PrefsEdit, WebhookEdit
from bugzot.services.read.notifications import DIGESTS, WEBHOOK_KINDS


class PrefsForm(FlaskForm):
    """The matrix (role x kind of change, one checkbox per pair), digest mode, own changes."""

    enabled = SelectMultipleField("Mail me", choices=sorted(PAIRS), validate_choice=True)
    digest = RadioField("How often", choices=[SelectChoice(k, v) for k, v in DIGESTS.items()],
                        default="off")
    own_changes = BooleanField("Mail me about my own changes too")

    def to_edit(self) -> PrefsEdit:
        return PrefsEdit(frozenset(self.enabled.data or ()), self.digest.data,
                         bool(self.own_changes.data))


class WatchForm(FlaskForm):
    """Watch a product's component, or the whole product ("<product id>:")."""

    place = SelectField("Watch", validators=[DataRequired("Choose what to watch.")])


class IgnoreForm(FlaskForm):
    """The bug page's "ignore this bug" button ("1": ignore, "0": hear again)."""

    ignored = HiddenField(default="1")


class WebhookForm(FlaskForm):
    """An endpoint: name, URL, secret, product filter, event kinds, active."""

    name = StringField("Name", validators=[DataRequired("Give the endpoint a name."),
                                           Length(max=64)])
    url = StringField("URL", validators=[DataRequired("Give the endpoint's address."),
                                         Length(max=2000)])
    secret = StringField("Secret", validators=[Optional(), Length(max=128)],
                         description="Signs each body (X-BugZot-Signature). Leave empty to "
                                     "keep the current one, or to have one made.")
    product = SelectField("Product", validate_choice=False)
    kinds = SelectMultipleField("Events", choices=[SelectChoice(k, v) for k, v in WEBHOOK_KINDS.items()],
                                option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False))
    is_active = BooleanField("Active", default=True)

    def to_edit(self) -> WebhookEdit:
        return WebhookEdit(name=self.name.data or "", url=self.url.data or "",
                           kinds=frozenset(self.kinds.data or ()), product=self.product.data or "",
                           secret=self.secret.data or "", is_active=bool(self.is_active.data))
