"""Each company's share of a worker's slots, as the claims apply it."""

from __future__ import annotations

from leadflow.kit import fair_share


def test_a_claim_takes_each_companys_rows_while_it_has_room_in_its_share() -> None:
    rows = [{"company_id": company} for company in (1, 1, 2, 1, 3, 2, 2)]

    kept = fair_share.within_share(rows, {1: 1, 2: 0}, share=2)

    assert [row["company_id"] for row in kept] == [1, 2, 3, 2]
    assert fair_share.full({1: 2, 2: 1, 3: 5}, share=2) == {1, 3}


def test_slots_count_each_companys_work_until_it_is_freed_once() -> None:
    slots: fair_share.Slots[str] = fair_share.Slots()
    slots.hold("a", 1)
    slots.hold("b", 1)
    slots.hold("c", 2)

    assert (len(slots), dict(slots.by_company)) == (3, {1: 2, 2: 1})
    assert slots.free("a")
    assert not slots.free("a")
    assert slots.free("c")
    assert (len(slots), dict(slots.by_company), slots.held()) == (1, {1: 1}, ["b"])
