from __future__ import annotations

from leadflow.db.repository import CompanyRepository
from leadflow.models import TrafficSource


class TrafficSourceRepository(CompanyRepository[TrafficSource]):
    model = TrafficSource
