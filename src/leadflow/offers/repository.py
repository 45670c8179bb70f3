from __future__ import annotations

from leadflow.db.repository import CompanyRepository
from leadflow.models import Offer


class OfferRepository(CompanyRepository[Offer]):
    model = Offer
