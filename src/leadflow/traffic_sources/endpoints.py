from __future__ import annotations

from leadflow.kit.crud import Resource, crud_router
from leadflow.kit.fulltext import TextColumns
from leadflow.kit.listing import ListSpec
from leadflow.models import TrafficSource
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
        listing=ListSpec(
            model=TrafficSource,
            serializers={"traffic_source": TrafficSourceOut},
            sortable=("id", "name", "user_traffic_source_id", "created_at", "updated_at"),
            fulltext=TextColumns(("name", "user_traffic_source_id")),
        ),
    )
)
