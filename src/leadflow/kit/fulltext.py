"""``fulltext=``: one way to turn a user's search text into a WHERE term, two strategies.

- :class:`TextColumns` matches a substring of any of a few text columns. It is for resources a
  company has tens or hundreds of (offers, schedules, traffic sources, numbers), where scanning
  them costs nothing.
- :class:`LeadSearchIndex` is for leads, of which a company has millions: it asks the index that
  migration 0002 keeps, an FTS5 table on SQLite and a pg_trgm GIN index on PostgreSQL, so a
  search reads a few index pages instead of every row.

Search text is split into words and every word must match. A whole phone number, written in any
format, is first turned into the E.164 digits caller IDs are stored with, so ``(719) 313-2645``
finds ``+17193132645`` on both engines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Select, Text, and_, column, false, func, or_, select, table

from leadflow.kit.phone import InvalidPhoneNumberError, to_e164

# Names of the database objects migration 0002 creates (kept in step with it by hand: a
# migration must not import application code, which may change after it has run).
LEADS_FTS_TABLE = "leads_fts"
LEADS_FTS_SOURCE = "leads_fts_source"
LEADS_TRIGRAM_INDEX = "ix_leads_search_trgm"
LEAD_SEARCH_TEXT = "lead_search_text"
FULLTEXT_OBJECTS = frozenset({LEADS_FTS_TABLE, LEADS_FTS_SOURCE, LEADS_TRIGRAM_INDEX})

MAX_FULLTEXT_LENGTH = 200
_PHONE_LIKE = re.compile(r"^\+?[\d\s().\-]+$")
_MIN_PHONE_DIGITS = 7


def search_terms(text: str | None, region: str = "US") -> list[str]:
    """The words that must all match. A whole phone number becomes its E.164 digits."""
    text = (text or "").strip()
    if not text:
        return []
    if _PHONE_LIKE.match(text) and sum(ch.isdigit() for ch in text) >= _MIN_PHONE_DIGITS:
        try:
            return [to_e164(text, region).removeprefix("+")]
        except InvalidPhoneNumberError:
            pass
    return text.split()


@dataclass(frozen=True)
class Match:
    """A full-text WHERE term. ``drives`` says the term should lead the query plan: SQLite has
    no statistics unless someone runs ANALYZE, and then believes ``company_id = ?`` picks ten
    rows, so it would walk a million leads and probe the index for each instead of the other
    way round. :mod:`leadflow.kit.listing` marks the other terms as unselective when it is set."""

    clause: ColumnElement[bool]
    drives: bool = False


class FullText(Protocol):
    """How a resource matches search words, on the engine the session runs on."""

    def match(self, model: Any, terms: list[str], dialect: str) -> Match: ...


@dataclass(frozen=True)
class TextColumns:
    """Each word is a case-insensitive substring of at least one of ``columns``."""

    columns: tuple[str, ...]

    def match(self, model: Any, terms: list[str], dialect: str) -> Match:
        if not self.columns:
            return Match(false())
        return Match(
            and_(
                *(
                    or_(
                        *(
                            getattr(model, name).icontains(term, autoescape=True)
                            for name in self.columns
                        )
                    )
                    for term in terms
                )
            )
        )


def fts5_query(terms: list[str]) -> str | None:
    """FTS5 query syntax for the words: each a quoted prefix phrase, so that punctuation in
    an e-mail address is split the way the indexed text was and ``smi`` finds ``Smith``.
    ``None`` when no word holds anything the tokenizer indexes (letters or digits)."""
    phrases = [
        '"' + term.replace('"', '""') + '"*' for term in terms if any(ch.isalnum() for ch in term)
    ]
    return " ".join(phrases) or None


def _like_escaped(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class LeadSearchIndex:
    """Caller ID, e-mail, sub_id and every token value of a lead, through migration 0002's
    index. On SQLite a word matches the start of an indexed word (``smi`` finds ``Smith``, a
    caller ID matches as the whole number); on PostgreSQL, any substring."""

    def match(self, model: Any, terms: list[str], dialect: str) -> Match:
        if dialect == "sqlite":
            query = fts5_query(terms)
            if query is None:
                return Match(false())
            hits: Select[Any] = (
                select(column("rowid"))
                .select_from(table(LEADS_FTS_TABLE))
                .where(column(LEADS_FTS_TABLE).op("MATCH")(query))
            )
            return Match(model.id.in_(hits), drives=True)
        if not terms:
            return Match(false())
        text = func.lead_search_text(
            model.caller_id, model.email, model.sub_id, model.tokens, type_=Text
        )
        return Match(and_(*(text.ilike(f"%{_like_escaped(t)}%", escape="\\") for t in terms)))
