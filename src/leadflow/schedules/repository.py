from __future__ import annotations

from leadflow.db.repository import CompanyRepository
from leadflow.models import Schedule


class ScheduleRepository(CompanyRepository[Schedule]):
    model = Schedule
