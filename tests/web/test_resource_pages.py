"""Offers, traffic sources and numbers: list, create, edit, with the API's own rules."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from leadflow.app_state import state_of
from leadflow.models import Number, Offer, TrafficSource
from tests.factories import Factory
from tests.web.conftest import Person, csrf_of, post_form


async def test_an_offer_is_created_listed_and_renamed(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person
) -> None:
    created = await post_form(
        browser, "/offers/new", "/offers/new", {"name": "Auto", "description": "cars"}
    )
    assert created.headers["location"] == "/offers"
    async with state_of(app).sessionmaker() as session:
        offer = (await session.scalars(select(Offer))).one()
    assert len(offer.leads_api_key) == 32
    assert "Auto" in (await browser.get("/offers")).text
    url = f"/offers/{offer.id}/edit"
    renamed = await post_form(browser, url, url, {"name": "Home", "description": ""})
    assert renamed.status_code == 303
    assert "Home" in (await browser.get("/offers")).text


async def test_a_blank_name_is_refused_next_to_the_field(
    browser: httpx.AsyncClient, signed_in: Person
) -> None:
    answer = await post_form(browser, "/traffic_sources/new", "/traffic_sources/new", {"name": ""})
    assert answer.status_code == 422
    assert 'id="err-name">This is required.' in answer.text


async def test_a_number_is_stored_as_e164_once(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person
) -> None:
    data = {"number": "(719) 313-2645", "capabilities": "sms"}
    assert (await post_form(browser, "/numbers/new", "/numbers/new", data)).status_code == 303
    async with state_of(app).sessionmaker() as session:
        number = (await session.scalars(select(Number))).one()
    assert (number.number, number.capabilities) == ("+17193132645", ["sms"])
    again = await post_form(browser, "/numbers/new", "/numbers/new", data)
    assert again.status_code == 422
    assert "is already one of your numbers" in again.text


async def test_a_numbers_uses_are_edited_and_the_number_is_shown_not_changed(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person
) -> None:
    data = {"number": "(719) 313-2645", "capabilities": "voice"}
    assert (await post_form(browser, "/numbers/new", "/numbers/new", data)).status_code == 303
    async with state_of(app).sessionmaker() as session:
        number = (await session.scalars(select(Number))).one()
    url = f"/numbers/{number.id}/edit"
    form = await browser.get(url)
    assert form.status_code == 200
    assert "+17193132645" in form.text
    assert 'name="number"' not in form.text
    edited = await post_form(browser, url, url, {"capabilities": "sms"})
    assert edited.status_code == 303
    refused = await post_form(browser, url, url, {})
    assert refused.status_code == 422
    assert "+17193132645" in refused.text
    async with state_of(app).sessionmaker() as session:
        stored = await session.get(Number, number.id)
    assert stored is not None
    assert stored.capabilities == ["sms"]


async def test_another_companys_rows_cannot_be_edited(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    other = await factory.tenant()
    offer = await factory.offer(other, name="Theirs")
    source = await factory.traffic_source(other, name="Their publisher")
    for path in (f"/offers/{offer.id}/edit", f"/traffic_sources/{source.id}/edit"):
        assert (await browser.get(path)).status_code == 404
        home = await browser.get("/")
        answer = await browser.post(path, data={"csrf_token": csrf_of(home.text), "name": "Mine"})
        assert answer.status_code == 404
    async with state_of(app).sessionmaker() as session:
        assert (await session.get(TrafficSource, source.id)).name == "Their publisher"  # type: ignore[union-attr]
    assert "Theirs" not in (await browser.get("/offers")).text


async def test_an_offers_destination_number_is_set_in_its_form(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person
) -> None:
    form = (await browser.get("/offers/new")).text
    assert 'name="destination_number" type="tel"' in form
    data = {"name": "Auto", "description": "", "destination_number": "(719) 313-2645"}
    assert (await post_form(browser, "/offers/new", "/offers/new", data)).status_code == 303
    async with state_of(app).sessionmaker() as session:
        offer = (await session.scalars(select(Offer))).one()
    assert offer.destination_number == "+17193132645"
    url = f"/offers/{offer.id}/edit"
    assert 'value="+17193132645"' in (await browser.get(url)).text
    bad = await post_form(browser, url, url, {**data, "destination_number": "12"})
    assert bad.status_code == 422
    assert 'id="err-destination_number">is not a valid phone number' in bad.text
    cleared = await post_form(browser, url, url, {**data, "destination_number": ""})
    assert cleared.status_code == 303
    async with state_of(app).sessionmaker() as session:
        assert (await session.get(Offer, offer.id)).destination_number is None  # type: ignore[union-attr]
