"""Admin pages of the product catalogue.

Classifications and products need ``admin.products``; components, versions and
milestones need ``product.manage``. The product page (``admin.product_edit``)
opens for either and shows the parts the user may change.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from bugzot import permissions
from bugzot.extensions import db
from bugzot.forms.admin import ClassificationForm, ComponentForm, MilestoneForm, ProductForm, VersionForm
from bugzot.models import Classification, Component, Milestone, Product, Version
from bugzot.permissions import can, require
from bugzot.services import catalogue
from bugzot.services.read import catalogue as reading
from bugzot.views.admin.common import attempt, bp, form_page

MANAGE = permissions.PRODUCT_MANAGE
PRODUCTS = permissions.ADMIN_PRODUCTS


def _classification_choices() -> list[SelectChoice]:
    return [SelectChoice(cid, name if active else f"{name} (inactive)")
            for cid, name, active in reading.classification_choices()]


def _child(model: type, product: Product, child_id: int):
    """The component/version/milestone ``child_id`` of ``product``, or 404."""
    obj = db.session.get(model, child_id)
    if obj is None or obj.product_id != product.id:
        abort(404)
    return obj


# -- classifications --------------------------------------------------------------
def _classification_args(form: ClassificationForm) -> dict:
    return dict(name=form.name.data, description=form.description.data,
                sortkey=form.sortkey.data, is_active=form.is_active.data)


@bp.get("/classifications")
@require(PRODUCTS)
def classifications():
    """Every classification (inactive ones greyed) with its products."""
    return render_template("admin/classifications.html",
                           classifications=reading.classifications(active_only=False))


@bp.route("/classifications/new", methods=["GET", "POST"])
@require(PRODUCTS)
def classification_new():
    """Create a classification."""
    form = ClassificationForm()
    if attempt(form, lambda: catalogue.save_classification(current_user, None, **_classification_args(form))):
        flash(f"Classification {form.name.data.strip()} created.", "success")
        return redirect(url_for("admin.classifications"))
    return form_page(form, "New classification", url_for("admin.classifications"), "Create")


@bp.route("/classifications/<int:classification_id>", methods=["GET", "POST"])
@require(PRODUCTS)
def classification_edit(classification_id: int):
    """Rename, describe, reorder or (de)activate a classification."""
    obj = db.get_or_404(Classification, classification_id)
    form = ClassificationForm(obj=obj)
    if attempt(form, lambda: catalogue.save_classification(current_user, obj, **_classification_args(form))):
        flash(f"Classification {obj.name} saved.", "success")
        return redirect(url_for("admin.classifications"))
    return form_page(form, f"Classification {obj.name}", url_for("admin.classifications"))


# -- products ------------------------------------------------------------------------
@bp.get("/products")
@require(PRODUCTS, MANAGE)
def products():
    """Every product by classification (inactive ones greyed)."""
    return render_template("admin/products.html", products=reading.products())


def _product_args(form: ProductForm) -> dict:
    return dict(name=form.name.data, classification_id=form.classification_id.data,
                description=form.description.data, is_active=form.is_active.data,
                allows_unconfirmed=form.allows_unconfirmed.data)


@bp.route("/products/new", methods=["GET", "POST"])
@require(PRODUCTS)
def product_new():
    """Create a product."""
    form = ProductForm()
    form.classification_id.choices = _classification_choices()
    if not form.classification_id.choices:
        flash("Create a classification first: every product belongs to one.", "info")
        return redirect(url_for("admin.classification_new"))
    created: list[Product] = []
    if attempt(form, lambda: created.append(
            catalogue.save_product(current_user, None, **_product_args(form)))):
        flash(f"Product {created[0].name} created. Now add its components and versions.", "success")
        return redirect(url_for("admin.product_edit", product_id=created[0].id))
    return form_page(form, "New product", url_for("admin.products"), "Create")


@bp.route("/products/<int:product_id>", methods=["GET", "POST"])
@require(PRODUCTS, MANAGE)
def product_edit(product_id: int):
    """A product's own fields (admin.products) and its components, versions and
    milestones (product.manage)."""
    product = db.get_or_404(Product, product_id)
    form = ProductForm(obj=product)
    form.classification_id.choices = _classification_choices()
    if form.is_submitted() and not can(current_user, PRODUCTS):
        abort(403)
    if attempt(form, lambda: catalogue.save_product(current_user, product, **_product_args(form))):
        flash(f"Product {product.name} saved.", "success")
        return redirect(url_for("admin.product_edit", product_id=product.id))
    return render_template("admin/product_edit.html", product=product, form=form)


# -- components, versions, milestones ----------------------------------------------------
def _component_args(form: ComponentForm) -> dict:
    return dict(name=form.name.data, description=form.description.data,
                default_assignee=form.default_assignee.user,
                default_qa_contact=form.default_qa_contact.user, is_active=form.is_active.data)


@bp.route("/products/<int:product_id>/components/new", methods=["GET", "POST"])
@require(MANAGE)
def component_new(product_id: int):
    """Add a component to a product."""
    product = db.get_or_404(Product, product_id)
    form = ComponentForm()
    if attempt(form, lambda: catalogue.save_component(current_user, product, None, **_component_args(form))):
        flash(f"Component {form.name.data.strip()} added to {product.name}.", "success")
        return redirect(url_for("admin.product_edit", product_id=product.id))
    return form_page(form, f"New component of {product.name}", _back(product), "Create")


@bp.route("/products/<int:product_id>/components/<int:component_id>", methods=["GET", "POST"])
@require(MANAGE)
def component_edit(product_id: int, component_id: int):
    """Edit or (de)activate a component."""
    product = db.get_or_404(Product, product_id)
    component = _child(Component, product, component_id)
    form = ComponentForm(obj=component)
    if not form.is_submitted():
        form.default_assignee.data = component.default_assignee.username if component.default_assignee else ""
        form.default_qa_contact.data = (component.default_qa_contact.username
                                        if component.default_qa_contact else "")
    if attempt(form, lambda: catalogue.save_component(current_user, product, component,
                                                      **_component_args(form))):
        flash(f"Component {component.name} saved.", "success")
        return redirect(url_for("admin.product_edit", product_id=product.id))
    return form_page(form, f"Component {component.name} of {product.name}", _back(product))


@bp.route("/products/<int:product_id>/versions/new", methods=["GET", "POST"])
@require(MANAGE)
def version_new(product_id: int):
    """Add a version to a product."""
    product = db.get_or_404(Product, product_id)
    form = VersionForm()
    if attempt(form, lambda: catalogue.save_version(current_user, product, None, value=form.value.data,
                                                    is_active=form.is_active.data)):
        flash(f"Version {form.value.data.strip()} added to {product.name}.", "success")
        return redirect(url_for("admin.product_edit", product_id=product.id))
    return form_page(form, f"New version of {product.name}", _back(product), "Create")


@bp.route("/products/<int:product_id>/versions/<int:version_id>", methods=["GET", "POST"])
@require(MANAGE)
def version_edit(product_id: int, version_id: int):
    """Rename or (de)activate a version."""
    product = db.get_or_404(Product, product_id)
    version = _child(Version, product, version_id)
    form = VersionForm(obj=version)
    if attempt(form, lambda: catalogue.save_version(current_user, product, version, value=form.value.data,
                                                    is_active=form.is_active.data)):
        flash(f"Version {version.value} saved.", "success")
        return redirect(url_for("admin.product_edit", product_id=product.id))
    return form_page(form, f"Version {version.value} of {product.name}", _back(product))


@bp.route("/products/<int:product_id>/milestones/new", methods=["GET", "POST"])
@require(MANAGE)
def milestone_new(product_id: int):
    """Add a milestone to a product."""
    product = db.get_or_404(Product, product_id)
    form = MilestoneForm()
    if attempt(form, lambda: catalogue.save_milestone(current_user,
            product, None, value=form.value.data, sortkey=form.sortkey.data,
            is_active=form.is_active.data)):
        flash(f"Milestone {form.value.data.strip()} added to {product.name}.", "success")
        return redirect(url_for("admin.product_edit", product_id=product.id))
    return form_page(form, f"New milestone of {product.name}", _back(product), "Create")


@bp.route("/products/<int:product_id>/milestones/<int:milestone_id>", methods=["GET", "POST"])
@require(MANAGE)
def milestone_edit(product_id: int, milestone_id: int):
    """Rename, reorder or (de)activate a milestone."""
    product = db.get_or_404(Product, product_id)
    milestone = _child(Milestone, product, milestone_id)
    form = MilestoneForm(obj=milestone)
    if attempt(form, lambda: catalogue.save_milestone(current_user,
            product, milestone, value=form.value.data, sortkey=form.sortkey.data,
            is_active=form.is_active.data)):
        flash(f"Milestone {milestone.value} saved.", "success")
        return redirect(url_for("admin.product_edit", product_id=product.id))
    return form_page(form, f"Milestone {milestone.value} of {product.name}", _back(product))


def _back(product: Product) -> str:
    return url_for("admin.product_edit", product_id=product.id)
