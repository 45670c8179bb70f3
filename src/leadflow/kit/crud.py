"""One implementation of company-scoped CRUD, configured per resource (no postponed
annotations here: FastAPI must see the per-resource dependency types, not their names).

A resource states its schemas, its repository and, where it has them, the defaults a new row
gets and the references it must check; the routes, envelopes, 404s and permissions are here.
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Generic, TypeVar

from fastapi import APIRouter, Body, Depends
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from leadflow.db.repository import CompanyRepository
from leadflow.db.session import SessionDep
from leadflow.kit import envelope
from leadflow.kit.auth import READ, WRITE, Principal, require
from leadflow.kit.dependencies import ClockDep
from leadflow.kit.errors import TrackDriveError
from leadflow.models.base import Base

ModelT = TypeVar("ModelT", bound=Base)

Check = Callable[[AsyncSession, Principal, dict[str, Any]], Awaitable[None]]


@dataclass
class Resource(Generic[ModelT]):
    name: str
    root: str
    roots: str
    repository: type[CompanyRepository[ModelT]]
    create: type[BaseModel]
    update: type[BaseModel] | None
    out: type[BaseModel]
    defaults: Callable[[], dict[str, Any]] = dict
    checks: Sequence[Check] = field(default_factory=tuple)

    def serialise(self, row: ModelT) -> BaseModel:
        return self.out.model_validate(row)


def crud_router(resource: Resource[ModelT]) -> APIRouter:
    router = APIRouter(prefix=f"/api/v1/{resource.name}", tags=[resource.name])
    reader = Annotated[Principal, Depends(require(resource.name, READ))]
    writer = Annotated[Principal, Depends(require(resource.name, WRITE))]
    one = envelope.documented(resource.root, resource.out)
    many = envelope.documented(resource.roots, resource.out, plural=True)
    create_body = Annotated[resource.create, Body()]  # type: ignore[name-defined]

    async def load(session: AsyncSession, principal: Principal, ref: str) -> ModelT:
        row = await resource.repository(session, principal.company_id).get(ref)
        if row is None:
            raise TrackDriveError.not_found(resource.root.replace("_", " "))
        return row

    async def check(session: AsyncSession, principal: Principal, values: dict[str, Any]) -> None:
        for rule in resource.checks:
            await rule(session, principal, values)

    @router.get("", summary=f"List {resource.name}", **many)
    async def list_rows(principal: reader, session: SessionDep) -> Response:
        rows = await resource.repository(session, principal.company_id).list()
        return envelope.many(resource.roots, [resource.serialise(r) for r in rows])

    @router.post("", summary=f"Create a {resource.root}", **one)
    async def create_row(
        body: create_body,
        principal: writer,
        session: SessionDep,
        clock: ClockDep,
    ) -> Response:
        values = body.model_dump(exclude_none=True)
        await check(session, principal, values)
        now = clock.now()
        row = resource.repository.model(
            company_id=principal.company_id,
            created_at=now,
            updated_at=now,
            **{**resource.defaults(), **values},
        )
        resource.repository(session, principal.company_id).add(row)
        await session.flush()
        return envelope.one(resource.root, resource.serialise(row))

    @router.get("/{ref}", summary=f"Show a {resource.root}", **one)
    async def get_row(ref: str, principal: reader, session: SessionDep) -> Response:
        return envelope.one(resource.root, resource.serialise(await load(session, principal, ref)))

    if resource.update is not None:
        update_body = Annotated[resource.update, Body()]  # type: ignore[name-defined]

        @router.put("/{ref}", summary=f"Update a {resource.root}", **one)
        async def update_row(
            ref: str,
            body: update_body,
            principal: writer,
            session: SessionDep,
            clock: ClockDep,
        ) -> Response:
            row = await load(session, principal, ref)
            changes = body.model_dump(exclude_unset=True, exclude_none=True)
            await check(session, principal, changes)
            for name, value in changes.items():
                setattr(row, name, value)
            row.updated_at = clock.now()  # type: ignore[attr-defined]
            await session.flush()
            return envelope.one(resource.root, resource.serialise(row))

    @router.delete("/{ref}", summary=f"Delete a {resource.root}", **one)
    async def delete_row(ref: str, principal: writer, session: SessionDep) -> Response:
        row = await load(session, principal, ref)
        out = resource.serialise(row)
        await session.delete(row)
        return envelope.one(resource.root, out)

    return router
