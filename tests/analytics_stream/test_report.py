"""The report from the figures of the calibrated quarter: the newsletter's sentences, and the
same figures as JSON, CSV and a spreadsheet."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from openpyxl import load_workbook

from analytics_stream.figures import quarterly_figures
from analytics_stream.referral_figures import referral_figures
from analytics_stream.report import render
from analytics_stream.statistics import Scope, summary
from services.demo.calibrated import all_visit_records, calibrated_plan, centre_records
from tests.analytics_stream.test_referral_figures import RECORDS

TENANTS = ("AL", "BA", "HR", "ME", "MK", "RS", "XK")


@pytest.fixture(scope="module")
def published(reference: dict[str, Any]) -> dict[str, Any]:
    plan = calibrated_plan(reference, seed=7)
    figures = quarterly_figures(all_visit_records(plan), centres=centre_records(plan))
    scope = Scope(tenants=TENANTS, start=date(2008, 6, 1), end=date(2008, 8, 31),
                  controlled=True)
    return summary(scope, figures)


def test_the_text_reads_like_the_newsletter(published: dict[str, Any],
                                            reference: dict[str, Any]) -> None:
    text = render(published, "text").decode()
    assert "from 1 June 2008 to 31 August 2008" in text
    assert "21 centres served 1,003 clients in 1,012 visits" in text
    assert "68 clients (6.8 %) were immigrants and 935 were nationals" in text
    top3 = reference["visitors_rank_top3"]
    assert f"Most visitors came to the centres in {top3[0]}, {top3[1]} and {top3[2]}." in text
    assert "main interest: labour migration" in text
    assert "preferred destinations: IT, CA, DE, US and AU" in text
    assert "information 8" in text  # 84 % of services, to one decimal
    assert "none in BA, MK and XK" in text
    assert "CV preparation and skills for the local labour market: 4 sessions" in text


def test_json_csv_and_xlsx_carry_the_same_figures(published: dict[str, Any]) -> None:
    assert json.loads(render(published, "json")) == published
    rows = dict(csv.reader(io.StringIO(render(published, "csv").decode())))
    assert (rows["clients"], rows["visits"], rows["visitors_ranking"]) == (
        "1003", "1012", " ".join(published["visitors_ranking"]))
    sheet = load_workbook(io.BytesIO(render(published, "xlsx"))).active
    assert sheet is not None
    cells = {row[0]: row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert cells["clients"] == 1003
    pdf = render(published, "pdf")
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) == 2  # the text, then the charts
    with pytest.raises(ValueError, match="unknown format"):
        render(published, "docx")


def test_the_referral_figures_follow_the_visits_in_every_format() -> None:
    scope = Scope(tenants=("AL",), start=date(2008, 7, 1), end=date(2008, 7, 31))
    shown = summary(scope, quarterly_figures([], centres=[]), referral_figures(RECORDS))
    text = render(shown, "text").decode()
    assert "8 referrals for 7 clients: 4 accepted, 1 declined, 1 still waiting" in text
    assert "median time to answer 4 hours" in text
    assert "first suggestion chosen in 6 referrals (75.0 %)" in text
    assert "Tirana Language School 6 sent, 1 completed" in text
    rows = dict(csv.reader(io.StringIO(render(shown, "csv").decode())))
    assert (rows["referrals.sent"], rows["referrals.by_institution.1.name"]) == (
        "8", "Adriatic Language Centre")
    sheet = load_workbook(io.BytesIO(render(shown, "xlsx"))).active
    assert sheet is not None
    assert {r[0]: r[1] for r in sheet.iter_rows(min_row=2, values_only=True)}[
        "referrals.top_suggestion.chosen_pct"] == 75.0
    assert render(shown, "pdf").startswith(b"%PDF")
    centre = summary(replace(scope, centre_id="c-1"), quarterly_figures([], centres=[]))
    assert "Referrals: not applicable" in render(centre, "text").decode()
