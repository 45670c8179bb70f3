from __future__ import annotations

from leadflow.companies.keys import new_lead_token
from leadflow.kit.crud import Resource, crud_router
from leadflow.kit.fulltext import TextColumns
from leadflow.kit.listing import ListSpec
from leadflow.models import Offer
from leadflow.offers.repository import OfferRepository
from leadflow.offers.schemas import OfferCreate, OfferOut, OfferUpdate

router = crud_router(
    Resource(
        name="offers",
        root="offer",
        roots="offers",
        repository=OfferRepository,
        create=OfferCreate,
        update=OfferUpdate,
        out=OfferOut,
        defaults=lambda: {"leads_api_key": new_lead_token()},
        holds_lead_tokens=True,
        listing=ListSpec(
            model=Offer,
            serializers={"offer": OfferOut},
            sortable=("id", "name", "created_at", "updated_at"),
            fulltext=TextColumns(("name", "description")),
        ),
    )
)
