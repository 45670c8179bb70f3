"""Who may change the shared lists (federal, state:XX, litigator) through the API and web app.

Those lists are the installation's: one upload changes which numbers every company may call.
A company's API key or web user therefore changes them only when the operator said so, in
``LEADFLOW_DNC_LIST_COMPANIES``; an installation of one company needs no setting (that company
is the operator). The CLI (``leadflow dnc import``) runs as the operator and is never asked.
Each company's internal list is its own and is not governed here.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy.ext.asyncio import AsyncSession

from leadflow.dnc.repository import companies_counted

SETTING = "LEADFLOW_DNC_LIST_COMPANIES"
REFUSED_CODE = "dnc_list_restricted"
"""The ``error_code`` of the API's 403, for scripts to branch on."""


def shared_list_refusal(company_id: int, allowed: Collection[int], companies: int) -> str | None:
    """Why ``company_id`` may not change the shared lists, or None when it may.

    ``allowed`` is the setting's company ids; ``companies`` how many companies the installation
    has (counted up to 2 is enough). Named companies may; with none named, only the company of
    a one-company installation may."""
    if allowed:
        if company_id in allowed:
            return None
        return (
            "the shared do-not-call lists (federal, state:XX, litigator) apply to every company "
            f"on this installation; only the companies in {SETTING} may change them, and "
            f"company {company_id} is not one. The operator imports with `leadflow dnc import`."
        )
    if companies == 1:
        return None
    return (
        "the shared do-not-call lists (federal, state:XX, litigator) apply to every company on "
        f"this installation, which has more than one, and {SETTING} names none that may change "
        "them. The operator imports with `leadflow dnc import`, or names companies in "
        f"{SETTING}."
    )


async def refusal_for(
    session: AsyncSession, company_id: int, allowed: Collection[int]
) -> str | None:
    """:func:`shared_list_refusal` for ``company_id``, counting companies only when needed."""
    if allowed:
        return shared_list_refusal(company_id, allowed, 0)
    return shared_list_refusal(company_id, allowed, await companies_counted(session))
