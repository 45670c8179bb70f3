from __future__ import annotations

from leadflow.db.repository import CompanyRepository
from leadflow.models import ApiKey


class ApiKeyRepository(CompanyRepository[ApiKey]):
    model = ApiKey
