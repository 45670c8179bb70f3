"""One implementation of company-scoped CRUD, configured per resource (no postponed
annotations here: FastAPI must see the per-resource dependency types, not their names).

A resource states its schemas, its repository and, where it has them, the defaults a new row
gets and the rules its values must pass; the routes, envelopes, 404s and permissions are here.
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Generic, TypeVar

from fastapi import APIRouter, Body, Depends, Request
from pydantic import BaseModel
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from leadflow.app_state import app_state
from leadflow.db.repository import CompanyRepository
from leadflow.db.session import SessionDep, flush_or_422
from leadflow.kit import envelope, listing
from leadflow.kit.auth import READ, WRITE, Principal, require
from leadflow.kit.dependencies import ClockDep, SettingsDep
from leadflow.kit.errors import TrackDriveError
from leadflow.kit.listing import ListQueryDep, ListSpec
from leadflow.models.base import Base
from leadflow.settings import Settings

ModelT = TypeVar("ModelT", bound=Base)

Values = dict[str, Any]
# A rule sees the values about to be written and returns them, normalised, or raises a 422.
Rule = Callable[[AsyncSession, Principal, Values], Awaitable[Values]]
# A check of the values against the operator's settings (the outbound URL policy on a stored
# URL); it raises a 422 or returns.
SettingsCheck = Callable[[Settings, Values], None]


@dataclass
class Resource(Generic[ModelT]):
    name: str
    root: str
    roots: str
    repository: type[CompanyRepository[ModelT]]
    create: type[BaseModel]
    update: type[BaseModel] | None
    out: type[BaseModel]
    defaults: Callable[[], Values] = dict
    rules: Sequence[Rule] = field(default_factory=tuple)
    settings_checks: Sequence[SettingsCheck] = field(default_factory=tuple)
    # Rows that own a ``leads_api_key``: intake caches token → owner, so a write must drop
    # that cache or a deleted schedule's token would keep enrolling leads for a while.
    holds_lead_tokens: bool = False
    # How the list endpoint sorts, searches and shapes rows; by default: by id, created_at
    # or updated_at, no full text, one shape (``out``).
    listing: ListSpec | None = None

    def list_spec(self) -> ListSpec:
        return self.listing or ListSpec(
            model=self.repository.model, serializers={self.root: self.out}
        )

    def serialise(self, row: ModelT) -> BaseModel:
        return self.out.model_validate(row)

    def nullable(self, column: str) -> bool:
        table = self.repository.model.__table__
        return bool(table.c[column].nullable)


def crud_router(resource: Resource[ModelT]) -> APIRouter:
    router = APIRouter(prefix=f"/api/v1/{resource.name}", tags=[resource.name])
    reader = Annotated[Principal, Depends(require(resource.name, READ))]
    writer = Annotated[Principal, Depends(require(resource.name, WRITE))]
    one = envelope.documented(resource.root, resource.out)
    spec = resource.list_spec()
    many = envelope.documented(
        resource.roots, listing.listed_item(next(iter(spec.serializers.values()))), plural=True
    )
    create_body = Annotated[resource.create, Body()]  # type: ignore[name-defined]

    async def load(session: AsyncSession, principal: Principal, ref: str) -> ModelT:
        row = await resource.repository(session, principal.company_id).get(ref)
        if row is None:
            raise TrackDriveError.not_found(resource.root.replace("_", " "))
        return row

    async def apply_rules(session: AsyncSession, principal: Principal, values: Values) -> Values:
        for rule in resource.rules:
            values = await rule(session, principal, values)
        return values

    async def write(request: Request, session: AsyncSession) -> None:
        await flush_or_422(session)
        if resource.holds_lead_tokens:
            forget_lead_owners_after_commit(request, session)

    @router.get("", summary=f"List {resource.name}", **many)
    async def list_rows(principal: reader, session: SessionDep, query: ListQueryDep) -> Response:
        scoped = resource.repository(session, principal.company_id).scoped()
        page = await listing.fetch(session, spec, query, scoped, region=principal.default_region)
        return envelope.many(resource.roots, page.items, page.metadata)

    @router.post("", summary=f"Create a {resource.root}", **one)
    async def create_row(
        request: Request,
        body: create_body,
        principal: writer,
        session: SessionDep,
        clock: ClockDep,
        settings: SettingsDep,
    ) -> Response:
        values = body.model_dump(exclude_none=True)
        for check in resource.settings_checks:
            check(settings, values)
        values = await apply_rules(session, principal, values)
        now = clock.now()
        row = resource.repository.model(
            company_id=principal.company_id,
            created_at=now,
            updated_at=now,
            **{**resource.defaults(), **values},
        )
        resource.repository(session, principal.company_id).add(row)
        await write(request, session)
        return envelope.one(resource.root, resource.serialise(row))

    @router.get("/{ref}", summary=f"Show a {resource.root}", **one)
    async def get_row(ref: str, principal: reader, session: SessionDep) -> Response:
        return envelope.one(resource.root, resource.serialise(await load(session, principal, ref)))

    if resource.update is not None:
        update_body = Annotated[resource.update, Body()]  # type: ignore[name-defined]

        @router.put("/{ref}", summary=f"Update a {resource.root}", **one)
        async def update_row(
            request: Request,
            ref: str,
            body: update_body,
            principal: writer,
            session: SessionDep,
            clock: ClockDep,
            settings: SettingsDep,
        ) -> Response:
            row = await load(session, principal, ref)
            changes = body.model_dump(exclude_unset=True)
            blank = sorted(k for k, v in changes.items() if v is None and not resource.nullable(k))
            if blank:
                raise TrackDriveError.invalid({name: ["can't be blank"] for name in blank})
            for check in resource.settings_checks:
                check(settings, changes)
            changes = await apply_rules(session, principal, changes)
            for name, value in changes.items():
                setattr(row, name, value)
            row.updated_at = clock.now()  # type: ignore[attr-defined]
            await write(request, session)
            return envelope.one(resource.root, resource.serialise(row))

    @router.delete("/{ref}", summary=f"Delete a {resource.root}", **one)
    async def delete_row(
        request: Request, ref: str, principal: writer, session: SessionDep
    ) -> Response:
        row = await load(session, principal, ref)
        out = resource.serialise(row)
        await session.delete(row)
        await write(request, session)
        return envelope.one(resource.root, out)

    return router


def forget_lead_owners_after_commit(request: Request, session: AsyncSession) -> None:
    """Clear this process's token → owner cache once the change is committed (not before: a
    lead posted in between would cache the old owner again). Other processes catch up within
    ``token_cache_seconds``."""
    cache = app_state(request).owner_cache
    if cache is None:
        return
    event.listen(session.sync_session, "after_commit", lambda _session: cache.clear(), once=True)
