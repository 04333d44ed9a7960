"""The product catalogue: classifications, products, components, versions, milestones."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bugzot.extensions import db
from bugzot.models.users import User


class Classification(db.Model):
    """A category that groups products on the home page."""

    __tablename__ = "classifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    sortkey: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)

    products: Mapped[list[Product]] = relationship(
        back_populates="classification", order_by="Product.name"
    )


class Product(db.Model):
    """Something bugs are filed against; owns components, versions and milestones."""

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    classification_id: Mapped[int] = mapped_column(ForeignKey("classifications.id"), index=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    # New bugs from users who may not confirm start as UNCONFIRMED instead of NEW.
    allows_unconfirmed: Mapped[bool] = mapped_column(default=False)

    classification: Mapped[Classification] = relationship(back_populates="products")
    components: Mapped[list[Component]] = relationship(
        back_populates="product", order_by="Component.name"
    )
    versions: Mapped[list[Version]] = relationship(
        back_populates="product", order_by="Version.value"
    )
    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="product", order_by="[Milestone.sortkey, Milestone.value]"
    )


class Component(db.Model):
    """A part of a product, with the people new bugs go to by default."""

    __tablename__ = "components"
    __table_args__ = (UniqueConstraint("product_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    default_assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    default_qa_contact_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    is_active: Mapped[bool] = mapped_column(default=True)

    product: Mapped[Product] = relationship(back_populates="components")
    default_assignee: Mapped[User | None] = relationship(foreign_keys=[default_assignee_id])
    default_qa_contact: Mapped[User | None] = relationship(foreign_keys=[default_qa_contact_id])


class Version(db.Model):
    """A released (or planned) version of a product that bugs are seen in."""

    __tablename__ = "versions"
    __table_args__ = (UniqueConstraint("product_id", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    value: Mapped[str] = mapped_column(String(64))
    is_active: Mapped[bool] = mapped_column(default=True)

    product: Mapped[Product] = relationship(back_populates="versions")


class Milestone(db.Model):
    """A target milestone of a product, ordered by sortkey."""

    __tablename__ = "milestones"
    __table_args__ = (UniqueConstraint("product_id", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    value: Mapped[str] = mapped_column(String(64))
    sortkey: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)

    product: Mapped[Product] = relationship(back_populates="milestones")
