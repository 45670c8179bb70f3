from __future__ import annotations

from leadflow.kit.crud import Resource, crud_router
from leadflow.traffic_sources.repository import TrafficSourceRepository
from leadflow.traffic_sources.schemas import (
    TrafficSourceCreate,
    TrafficSourceOut,
    TrafficSourceUpdate,
)

router = crud_router(
    Resource(
        name="traffic_sources",
        root="traffic_source",
        roots="traffic_sources",
        repository=TrafficSourceRepository,
        create=TrafficSourceCreate,
        update=TrafficSourceUpdate,
        out=TrafficSourceOut,
    )
)
