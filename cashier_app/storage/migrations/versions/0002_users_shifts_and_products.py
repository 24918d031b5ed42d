"""users shifts and products

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 10:29:10.427236
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "products",
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("barcode", sa.String(length=32), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("brand", sa.String(length=64), nullable=True),
        sa.Column("no_loyalty", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("1"), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("sku", name=op.f("pk_products")),
        sa.UniqueConstraint("barcode", name=op.f("uq_products_barcode")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("pin_hash", sa.Text(), nullable=False),
        sa.Column("failed_pins", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.text("1"), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("name", name=op.f("uq_users_name")),
    )
    op.create_table(
        "shifts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_shifts_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shifts")),
    )
    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_shifts_open", ["user_id"], unique=True, sqlite_where=sa.text("closed_at IS NULL")
        )

    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("shift_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("cashier_id", sa.String(length=36), nullable=True))

    # Product search by any word's prefix, as for customers' names.
    op.execute(
        "CREATE VIRTUAL TABLE product_names USING fts5(name, content='products', "
        "content_rowid='rowid', tokenize='unicode61 remove_diacritics 2')"
    )
    op.execute(
        "CREATE TRIGGER product_names_ai AFTER INSERT ON products BEGIN "
        "INSERT INTO product_names(rowid, name) VALUES (new.rowid, new.name); END"
    )
    op.execute(
        "CREATE TRIGGER product_names_ad AFTER DELETE ON products BEGIN "
        "INSERT INTO product_names(product_names, rowid, name) "
        "VALUES ('delete', old.rowid, old.name); END"
    )
    op.execute(
        "CREATE TRIGGER product_names_au AFTER UPDATE OF name ON products BEGIN "
        "INSERT INTO product_names(product_names, rowid, name) "
        "VALUES ('delete', old.rowid, old.name); "
        "INSERT INTO product_names(rowid, name) VALUES (new.rowid, new.name); END"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS product_names_au")
    op.execute("DROP TRIGGER IF EXISTS product_names_ad")
    op.execute("DROP TRIGGER IF EXISTS product_names_ai")
    op.execute("DROP TABLE IF EXISTS product_names")
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.drop_column("cashier_id")
        batch_op.drop_column("shift_id")

    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.drop_index("ix_shifts_open", sqlite_where=sa.text("closed_at IS NULL"))

    op.drop_table("shifts")
    op.drop_table("users")
    op.drop_table("products")
