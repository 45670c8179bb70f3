from __future__ import annotations

from sqlalchemy import Select

from leadflow.db.repository import CompanyRepository
from leadflow.models import Subscription, WebhookDelivery


class SubscriptionRepository(CompanyRepository[Subscription]):
    model = Subscription


class WebhookDeliveryRepository(CompanyRepository[WebhookDelivery]):
    model = WebhookDelivery

    def of_subscription(self, subscription_id: int) -> Select[WebhookDelivery]:
        """The base query of one subscription's delivery log (the listing pages and orders it)."""
        return self.scoped().where(WebhookDelivery.subscription_id == subscription_id)
