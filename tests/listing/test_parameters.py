"""The listing convention's parsing and checks, without a database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from leadflow.kit.errors import TrackDriveError
from leadflow.kit.fulltext import LeadSearchIndex, TextColumns, fts5_query, search_terms
from leadflow.kit.listing import ListSpec, list_query, parse_columns, plan, statements
from leadflow.models import Lead, Offer
from leadflow.offers.schemas import OfferOut

OFFERS = ListSpec(
    model=Offer,
    serializers={"offer": OfferOut},
    sortable=("id", "name", "created_at"),
    fulltext=TextColumns(("name",)),
)


def _errors(query_args: dict[str, object]) -> dict[str, list[str]]:
    with pytest.raises(TrackDriveError) as raised:
        plan(OFFERS, list_query(**query_args))  # type: ignore[arg-type]
    assert raised.value.status == 422
    return raised.value.errors


def test_defaults_are_page_one_of_25_in_id_order() -> None:
    listing = plan(OFFERS, list_query())
    assert (listing.query.page, listing.query.per_page, listing.order) == (1, 25, "id")
    assert listing.query.cursor is None
    assert listing.fields == tuple(OfferOut.model_fields)


def test_trackdrive_time_format_is_read_with_its_offset() -> None:
    query = list_query(created_at_from="2016-01-01 12:25:15 -0500")
    assert query.created_at_from == datetime(2016, 1, 1, 17, 25, 15, tzinfo=UTC)


def test_iso_8601_time_is_accepted_too() -> None:
    query = list_query(created_at_to="2016-01-01T12:25:15Z")
    assert query.created_at_to == datetime(2016, 1, 1, 12, 25, 15, tzinfo=UTC)


def test_unreadable_time_is_a_422_on_that_parameter() -> None:
    with pytest.raises(TrackDriveError) as raised:
        list_query(created_at_from="yesterday")
    assert list(raised.value.errors) == ["created_at_from"]


def test_blank_values_mean_the_default() -> None:
    query = list_query(order=" ", columns=",", serializer="", fulltext="  ", created_at_to="")
    assert (query.order, query.columns, query.serializer, query.fulltext) == (None,) * 4
    assert query.created_at_to is None


def test_columns_are_split_trimmed_and_kept_once_in_the_given_order() -> None:
    assert parse_columns(" uuid, name,,uuid ") == ("uuid", "name")


def test_unknown_order_names_the_value_and_the_sortable_fields() -> None:
    errors = _errors({"order": "revenue"})
    assert errors == {"order": ["revenue is not allowed; allowed: created_at, id, name"]}


def test_unknown_columns_are_named_with_every_available_field() -> None:
    (message,) = _errors({"columns": "uuid,colour,size"})["columns"]
    assert message.startswith("colour, size is not allowed; allowed: ")
    assert "leads_api_key" in message
    assert "uuid" in message


def test_unknown_serializer_names_the_available_ones() -> None:
    assert _errors({"serializer": "grid"}) == {
        "serializer": ["grid is not allowed; allowed: offer"]
    }


def test_every_bad_value_is_reported_at_once() -> None:
    errors = _errors({"order": "x", "serializer": "y"})
    assert set(errors) == {"order", "serializer"}


def test_cursor_paging_only_runs_in_id_order() -> None:
    assert "order" in _errors({"cursor": -1, "order": "name"})


def test_columns_build_only_the_named_fields() -> None:
    listing = plan(OFFERS, list_query(columns="uuid,name"))
    assert listing.fields == ("uuid", "name")
    assert set(listing.shape.model_fields) == {"uuid", "name"}


def _sql(query: object, dialect: object = None) -> str:
    built = statements(OFFERS, plan(OFFERS, query), select(Offer), dialect="sqlite")  # type: ignore[arg-type]
    return str(built.rows.compile(dialect=dialect or sqlite.dialect()))


def test_cursor_pages_seek_by_id_instead_of_skipping_rows() -> None:
    ascending = _sql(list_query(cursor=40, per_page=10), postgresql.dialect())
    assert "offers.id > " in ascending
    assert "OFFSET" not in ascending
    descending = _sql(list_query(cursor=40, order_dir="desc"))
    assert "offers.id < " in descending
    assert "ORDER BY offers.id DESC" in descending


def test_columns_select_only_the_columns_they_need() -> None:
    sql = _sql(list_query(columns="name"))
    assert "offers.name" in sql
    assert "leads_api_key" not in sql
    assert "description" not in sql


def test_a_whole_phone_number_in_any_format_is_searched_as_stored() -> None:
    assert search_terms("(719) 313-2645") == ["17193132645"]
    assert search_terms("+1 719 313 2645") == ["17193132645"]


def test_other_text_is_searched_word_by_word() -> None:
    assert search_terms(" john  smith@example.com ") == ["john", "smith@example.com"]
    assert search_terms("3132645") == ["3132645"]


def test_fts5_query_quotes_each_word_as_a_prefix_phrase() -> None:
    assert fts5_query(['say "hi"', "smith"]) == '"say ""hi"""* "smith"*'
    assert fts5_query(["@", "-"]) is None


def test_lead_search_uses_the_fts5_table_on_sqlite_and_the_trigram_function_on_postgresql() -> None:
    lite = LeadSearchIndex().match(Lead, ["smith"], "sqlite")
    assert lite.drives
    assert "leads_fts MATCH" in str(lite.clause.compile(dialect=sqlite.dialect()))
    pg = LeadSearchIndex().match(Lead, ["50%"], "postgresql")
    compiled = pg.clause.compile(dialect=postgresql.dialect())
    assert "lead_search_text(leads.caller_id, leads.email, leads.sub_id, leads.tokens)" in str(
        compiled
    )
    assert list(compiled.params.values()) == ["%50\\%%"]
