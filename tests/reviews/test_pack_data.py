"""The pack's numbers and words, read from the snapshot: what the PDF and workbook show."""

from __future__ import annotations

from reviews.packs.data import pack_data
from tests.reviews.conftest import MONTH


def rows_by_name(data):
    rows = [row for section in data["sections"] for row in section["kpis"]] + data["unaligned"]
    return {row["name"]: row for row in rows}


def test_the_month_is_judged_in_each_kpis_direction(pack_world):
    data = pack_data(org=pack_world.world.org, month=MONTH)
    rows = rows_by_name(data)
    churn = rows["Logo churn"]["month"]
    assert (churn["value"], churn["target"], churn["rag"]) == (2.47, 2.14, "red")
    assert churn["variance_text"] == "+15.4 % adverse"
    assert rows["Revenue"]["month"]["variance_text"] == "+2 % favourable"
    assert rows["Net promoter score"]["month"]["rag"] == "none"
    assert rows["Net promoter score"]["month"]["variance_text"] == "—"


def test_year_to_date_uses_each_kpis_aggregation(pack_world):
    rows = rows_by_name(pack_data(org=pack_world.world.org, month=MONTH))
    # Revenue is summed: January (93) to October (102), against ten monthly targets of 100.
    assert rows["Revenue"]["ytd"]["value"] == sum(range(93, 103))
    assert rows["Revenue"]["ytd"]["target"] == 1000
    # Churn is averaged: seven months at 2.0 and three at 2.47, against 2.14.
    assert round(rows["Logo churn"]["ytd"]["value"], 3) == round((7 * 2.0 + 3 * 2.47) / 10, 3)
    # Health takes the last value.
    assert rows["Accounts in red health"]["ytd"]["value"] == 38
    # New logos: 3 a week summed over October's four weeks, against 4 weekly targets of 2.
    assert rows["New logos"]["month"]["value"] == 12
    assert rows["New logos"]["month"]["target"] == 8


def test_prior_period_and_same_month_last_year(pack_world):
    rows = rows_by_name(pack_data(org=pack_world.world.org, month=MONTH))
    revenue = rows["Revenue"]
    assert (revenue["prior"]["value"], revenue["last_year"]["value"]) == (101, 90)
    assert revenue["prior_label"] == "Sep 2026"
    assert revenue["last_year_label"] == "Oct 2025"


def test_the_narrative_is_made_of_numbers_on_the_page(pack_world):
    data = pack_data(org=pack_world.world.org, month=MONTH)
    customer = next(p for p in data["summary"] if p["key"] == "customer")
    text = " ".join(customer["narrative"])
    assert "Customer: 0 of 3 KPIs on target" in text
    assert (
        "Logo churn was 2.47% against a target of 2.14% (+15.4 % adverse), "
        "off target for 3 periods running." in text
    )
    assert "Its lead indicator Accounts in red health is improving (40 → 38" in text


def test_exceptions_movers_moved_targets_actions_and_data_quality(pack_world):
    data = pack_data(org=pack_world.world.org, month=MONTH)
    exceptions = {e["name"]: e for e in data["exceptions"]}
    assert "Red" in exceptions["Logo churn"]["kinds"]
    assert "Stale" in exceptions["Net promoter score"]["kinds"]
    # Health fell 39 → 38 (better: lower is better), revenue rose 101 → 102; churn held.
    assert [(m["name"], m["better"]) for m in data["movers"]] == [
        ("Accounts in red health", True),
        ("Revenue", True),
    ]
    assert data["moved_targets"] == [
        {
            "kpi": "Logo churn",
            "period": "1 Oct 2026 – 31 Dec 2026",
            "who": pack_world.world.finance.user.get_full_name()
            or pack_world.world.finance.user.username,
            "when": data["moved_targets"][0]["when"],
            "when_text": data["moved_targets"][0]["when_text"],
            "action": "Changed",
            "from": "2%",
            "to": "2.14%",
        }
    ]
    meeting = data["meetings"][0]
    assert meeting["decisions"] == ["Freeze hiring in Support."]
    assert [a["title"] for a in meeting["actions"]] == ["Review churn drivers"]
    # Churn has its open action; health is off target with none.
    assert data["red_without_action"] == ["Accounts in red health"]
    quality = {g["grade"]: g["count"] for g in data["data_quality"]["by_confidence"]}
    assert quality == {"estimate": 1, "preliminary": 1, "reconciled": 1, "audited": 4}
    assert data["data_quality"]["stale"] == ["Net promoter score"]


def test_missing_commentary_is_listed_for_the_cfo_to_chase(pack_world):
    data = pack_data(org=pack_world.world.org, month=MONTH)
    missing = {m["name"] for m in data["missing_commentary"]}
    # Health is amber/red and new logos on target and not key: only health is owed.
    assert "Logo churn" not in missing and "Revenue" not in missing
    assert "New logos" not in missing
    assert "Accounts in red health" in missing


def test_the_same_data_gives_the_same_snapshot(pack_world):
    org = pack_world.world.org
    assert pack_data(org=org, month=MONTH) == pack_data(org=org, month=MONTH)


def test_filters_narrow_the_pack(pack_world):
    data = pack_data(org=pack_world.world.org, month=MONTH, perspectives=["financial"])
    assert set(rows_by_name(data)) == {"Revenue", "New logos"}
    assert [s["key"] for s in data["summary"]] == ["financial"]
    assert data["filters"]["perspectives"] == ["Financial"]


def test_an_organisation_with_nothing_still_makes_a_pack(globex):
    data = pack_data(org=globex.org, month=MONTH)
    assert data["kpi_count"] == 0
    assert data["sections"] == [] and data["meetings"] == []
    assert all(p["total"] == 0 for p in data["summary"])


def test_another_organisations_kpis_never_reach_the_pack(pack_world, globex):
    from tests.reviews.conftest import build_pack_world

    build_pack_world(globex)
    data = pack_data(org=globex.org, month=MONTH)
    ids = {row["id"] for row in rows_by_name(data).values()}
    assert str(pack_world.churn.pk) not in ids
    assert data["kpi_count"] == 5
