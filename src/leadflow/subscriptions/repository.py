from __future__ import annotations

from leadflow.db.repository import CompanyRepository
from leadflow.models import Subscription


class SubscriptionRepository(CompanyRepository[Subscription]):
    model = Subscription
