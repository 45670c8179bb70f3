"""A ``ping_post`` campaign's configuration: its auction and the buyers it pings.

A buyer is another campaign of the company: its filters (disqualification rules, required
fields, field qualification), caps and hours decide whether it is pinged at all, and its
``endpoint`` is the post request. The auction campaign says how each buyer is pinged (or the
fixed price it pays without one), the deadline for bids and the floor.

A ping carries no personal data unless the buyer entry says so: the ping's fields are a
payload tree like the endpoint's, and a field reading a contact or identity path is refused
at save time, so a seller cannot leak a lead to every bidder by accident.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Literal

from pydantic import Field, HttpUrl, model_validator

from leadflow.submissions.campaign_config import CampaignConfigModel
from leadflow.submissions.payload import PayloadArray, PayloadField, PayloadNode, PayloadObject
from leadflow.submissions.response_parsing import ResponseMapping

PERSONAL_PATHS = frozenset(
    {
        "firstName",
        "lastName",
        "email",
        "phone",
        "dateOfBirth",
        "address.street",
        "address.street2",
        "attribution.ipAddress",
        "attribution.userAgent",
        "leadId",
    }
)
"""Lead paths that identify a person: never in a ping unless ``allowPersonalData``."""

DEFAULT_PING_FIELDS: tuple[PayloadField, ...] = (
    PayloadField(client_key="state", source_key="address.state"),
    PayloadField(client_key="zip", source_key="address.zip"),
)
"""What a ping carries when its ``fields`` are not given: where the lead is, nothing more."""


class PingResponse(ResponseMapping):
    """Today's response mapping (accepted flag by ``statusPath`` and terms, ``reasonPath``)
    plus where the bid and the ping id are. A 2xx answer with a bid and no status path is a
    bid; one whose bid cannot be read as a number is garbage (an ``error`` ping)."""

    bid_path: str = "$.bid"
    ping_id_path: str | None = "$.pingId"


class PingRequest(CampaignConfigModel):
    url: HttpUrl
    method: Literal["POST", "GET"] = "POST"
    body_format: Literal["json", "form", "xml"] = "json"
    headers: dict[str, str] = Field(default_factory=dict)
    fields: list[PayloadNode] = Field(default_factory=lambda: _default_fields())
    allow_personal_data: bool = False
    timeout_ms: int = Field(default=750, ge=10, le=10_000)
    response: PingResponse = Field(default_factory=PingResponse)
    post_ping_id_key: str | None = Field(default="ping_id", min_length=1)
    """Top-level key the ping id is added under in the post's payload (None: only the
    payload tree's own ``auction.pingId`` path carries it)."""

    @model_validator(mode="after")
    def _no_personal_data(self) -> PingRequest:
        if self.allow_personal_data:
            return self
        personal = sorted({path for path in source_paths(self.fields) if path in PERSONAL_PATHS})
        if personal:
            raise ValueError(
                "fields read personal data ("
                + ", ".join(personal)
                + "); a ping carries none unless allowPersonalData is true"
            )
        return self


class AuctionBuyer(CampaignConfigModel):
    campaign_id: str = Field(min_length=1)
    """The buyer's campaign (uuid or code): its filters, caps, hours and post endpoint."""
    priority: int = Field(default=0, ge=0, le=1000)
    """Breaks ties between equal bids: the lower number wins."""
    ping: PingRequest | None = None
    fixed_price: float | None = Field(default=None, ge=0)
    """A direct-post buyer: not pinged, bids this price for every lead it may take."""

    @model_validator(mode="after")
    def _ping_or_price(self) -> AuctionBuyer:
        if (self.ping is None) == (self.fixed_price is None):
            raise ValueError("give exactly one of ping and fixedPrice")
        return self


class PingPost(CampaignConfigModel):
    deadline_ms: int = Field(default=1000, ge=50, le=10_000)
    """From the first ping: a bid arriving later is ignored."""
    floor: float = Field(default=0.0, ge=0)
    """The lowest bid the lead is sold for."""
    buyers: list[AuctionBuyer] = Field(min_length=1, max_length=50)

    @model_validator(mode="after")
    def _buyers_once(self) -> PingPost:
        refs = [buyer.campaign_id for buyer in self.buyers]
        if len(set(refs)) != len(refs):
            raise ValueError("a buyer campaign is listed more than once")
        return self


def _default_fields() -> list[PayloadNode]:
    return [field.model_copy() for field in DEFAULT_PING_FIELDS]


def source_paths(tree: Sequence[PayloadNode]) -> Iterator[str]:
    """Every lead path a payload tree reads (an array's items read relative paths)."""
    for node in tree:
        if isinstance(node, PayloadField):
            if node.source_key:
                yield node.source_key
        elif isinstance(node, PayloadObject):
            yield from source_paths(node.children)
        elif isinstance(node, PayloadArray):
            if node.source_key:
                yield node.source_key
            yield from source_paths(node.items)
