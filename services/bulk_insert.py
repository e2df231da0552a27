"""Insert many new rows of one model in one statement with one parameter.

Django's `bulk_create` writes one placeholder per value: 1,000 visits are 17,000 placeholders,
which Django compiles one by one and psycopg splits and quotes one by one. That cost more than half
of a 1,000-visit bulk sync. Here the rows travel as one JSON array, which PostgreSQL turns into
rows of the table with `jsonb_populate_recordset`: the same INSERT (row-level security, constraints
and triggers apply as to any INSERT), a fraction of the Python work.

Only for new rows whose values are all set in Python (`pre_save` runs, so `auto_now_add` and
`auto_now` apply). A column whose value is left to the database (`db_default`, an auto-increment
primary key) is left out of the INSERT and gets its default; rows are inserted, and sequence
values drawn, in list order. As after `bulk_create`, the rows then hold what the database gave
them (RETURNING) and count as saved.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models.expressions import DatabaseDefault

ModelT = TypeVar("ModelT", bound=models.Model)


class BulkInsertError(ValueError):
    """The rows cannot be inserted this way (use the ORM)."""


# Values that are their own JSON form (lists and dicts of them are checked by json.dumps).
_AS_IS = frozenset({str, int, bool, type(None), list, dict})


def _json_value(value: Any) -> Any:
    if type(value) in _AS_IS:
        return value
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview | float):
        # Binary has no JSON form; a float's NaN and infinities have none either.
        raise BulkInsertError(f"no JSON form for a {type(value).__name__} value")
    return value


def _left_to_database(field: models.Field[Any, Any], value: Any) -> bool:
    """Whether the column's value is the database's to give: its `db_default`, or the next
    number of an auto-increment key not set in Python."""
    if isinstance(field, models.AutoField):
        return value is None
    return isinstance(value, DatabaseDefault)


def insert_rows(rows: Sequence[ModelT], *, using: str = DEFAULT_DB_ALIAS) -> None:
    """INSERT `rows` (unsaved instances of one model), in order, in one statement."""
    if not rows:
        return
    model = type(rows[0])
    if any(type(row) is not model for row in rows):
        raise BulkInsertError("all rows must be of one model")
    # (field, column, whether the database may give its value): checked once, not per row.
    fields = [(f, f.column, f.has_db_default() or isinstance(f, models.AutoField))
              for f in model._meta.concrete_fields if f.column]
    records: list[dict[str, Any]] = []
    omitted: set[str] | None = None
    for row in rows:
        record: dict[str, Any] = {}
        left: set[str] = set()
        for field, column, may_be_left in fields:
            value = field.pre_save(row, add=True)
            if may_be_left and _left_to_database(field, value):
                left.add(column)
            else:
                record[column] = _json_value(field.get_prep_value(value))
        if omitted is None:
            omitted = left
        elif left != omitted:
            raise BulkInsertError("rows leave different columns to the database")
        records.append(record)
    connection = connections[using]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    left_out = omitted or set()
    given = [column for _field, column, _may in fields if column not in left_out]
    # The database's values come back, as after bulk_create: the primary key first, to check
    # that the rows come back in the order they were sent.
    pk = model._meta.pk
    if pk is None or pk.column is None:
        raise BulkInsertError(f"{model.__name__} has no primary key column")
    returned = [pk] + [f for f, column, _may in fields if column in left_out and f is not pk]
    names = ", ".join(quote(column) for column in given)
    sql = (f"INSERT INTO {table} ({names}) SELECT {names} "  # noqa: S608 - names from the model
           f"FROM jsonb_populate_recordset(NULL::{table}, %s::jsonb) WITH ORDINALITY AS r "
           "ORDER BY r.ordinality "
           f"RETURNING {', '.join(quote(str(f.column)) for f in returned)}")
    with connection.cursor() as cursor:
        cursor.execute(sql, [json.dumps(records, separators=(",", ":"))])
        values = cursor.fetchall()
    if len(values) != len(rows):
        raise BulkInsertError(f"{len(rows)} rows sent, {len(values)} inserted")
    for row, row_values in zip(rows, values, strict=True):
        if pk.column not in left_out and row_values[0] != pk.get_prep_value(row.pk):
            raise BulkInsertError("the rows came back in another order than they were sent")
        for field, value in zip(returned, row_values, strict=True):
            from_db = getattr(field, "from_db_value", None)  # a JSON default comes as text
            setattr(row, field.attname,
                    value if from_db is None else from_db(value, None, connection))
        row._state.adding = False  # saved now, as after bulk_create
        row._state.db = using
