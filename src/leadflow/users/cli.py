"""``leadflow users``: create, set-password, remove, disable, enable. The command line is an
operator's way in when nobody can sign in to the web app (the first user, a lost password)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from typing import Any

import typer

from leadflow.settings import get_settings

users_app = typer.Typer(help="People who sign in to the web app.", no_args_is_help=True)


@users_app.command("create")
def users_create(
    company: int = typer.Option(..., help="The company's id (see `companies create`)."),
    email: str = typer.Option(..., help="The e-mail the user signs in with."),
    password: str = typer.Option(
        None, help="At least 10 characters; omitted: a random one is generated and printed."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Create a web app user of a company. A generated password is shown only now."""
    from leadflow.db.migrate import upgrade
    from leadflow.demo import create_user_now
    from leadflow.users.service import UserError

    settings = get_settings()
    upgrade(settings.database_url)
    try:
        created = asyncio.run(create_user_now(settings.database_url, company, email, password))
    except UserError as exc:
        raise typer.BadParameter(exc.message, param_hint=f"--{exc.field}") from None
    out = {"id": created.user.id, "company_id": company, "email": created.user.email}
    if password is None:
        out["password"] = created.password
    typer.echo(json.dumps(out) if as_json else "\n".join(f"{k}: {v}" for k, v in out.items()))


@users_app.command("set-password")
def users_set_password(
    email: str = typer.Option(..., help="The e-mail the user signs in with."),
    password: str = typer.Option(
        ..., prompt=True, hide_input=True, confirmation_prompt=True, help="At least 10 characters."
    ),
) -> None:
    """Set a user's password (asked for when not given); every session of theirs ends."""
    from leadflow.db.migrate import upgrade
    from leadflow.users.commands import set_password_now
    from leadflow.users.service import UserError

    settings = get_settings()
    upgrade(settings.database_url)
    try:
        user_id = asyncio.run(set_password_now(settings.database_url, email, password))
    except UserError as exc:
        raise typer.BadParameter(exc.message, param_hint=f"--{exc.field}") from None
    typer.echo(f"Password set for user {user_id}; their other sign-ins have ended.")


@users_app.command("remove")
def users_remove(
    email: str = typer.Option(..., help="The e-mail the user signs in with."),
) -> None:
    """Remove a user; their sessions end at once."""
    from leadflow.users.commands import remove_user_now

    _user_command(remove_user_now, email, "removed")


@users_app.command("disable")
def users_disable(
    email: str = typer.Option(..., help="The e-mail the user signs in with."),
) -> None:
    """Disable a user: signed out at once and unable to sign in; the account is kept."""
    from leadflow.users.commands import disable_user_now

    _user_command(disable_user_now, email, "disabled; their sign-ins have ended")


@users_app.command("enable")
def users_enable(
    email: str = typer.Option(..., help="The e-mail the user signs in with."),
) -> None:
    """Let a disabled user sign in again with their password."""
    from leadflow.users.commands import enable_user_now

    _user_command(enable_user_now, email, "enabled")


def _user_command(
    command: Callable[[str, str], Coroutine[Any, Any, int]], email: str, done: str
) -> None:
    from leadflow.db.migrate import upgrade
    from leadflow.users.service import UserError

    settings = get_settings()
    upgrade(settings.database_url)
    try:
        user_id = asyncio.run(command(settings.database_url, email))
    except UserError as exc:
        raise typer.BadParameter(exc.message, param_hint=f"--{exc.field}") from None
    typer.echo(f"User {user_id} {done}.")
