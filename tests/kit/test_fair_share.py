"""Each company's share of a worker's slots, as the claims apply it."""

from __future__ import annotations

from leadflow.kit import fair_share


def test_a_claim_takes_each_companys_rows_while_it_has_room_in_its_share() -> None:
    rows = [{"company_id": company} for company in (1, 1, 2, 1, 3, 2, 2)]

    kept = fair_share.within_share(rows, {1: 1, 2: 0}, share=2)

    assert [row["company_id"] for row in kept] == [1, 2, 3, 2]
    assert fair_share.full({1: 2, 2: 1, 3: 5}, share=2) == {1, 3}
