"""Declarative base: constraint names fixed so Alembic's batch mode can find them on SQLite."""

from __future__ import annotations

from datetime import datetime

import uuid_utils
from sqlalchemy import BigInteger, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from leadflow.db.types import UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BIGINT on PostgreSQL; SQLite only auto-increments an INTEGER PRIMARY KEY.
BigIntId = BigInteger().with_variant(Integer(), "sqlite")


def new_uuid() -> str:
    """A new row's public id: a version 7 UUID (RFC 9562), time-ordered. Random ones (version
    4) landed each insert on a random page of the uuid index, which doubled the pages a batch
    of new leads wrote and, at millions of rows, missed the cache on almost every insert."""
    return str(uuid_utils.uuid7())


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


class IdMixin:
    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)


class UuidMixin:
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)


class TimestampsMixin:
    """Both set by the service from the injected clock, never by the database's own clock."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
