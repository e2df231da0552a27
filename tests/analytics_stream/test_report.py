"""The report from the figures of the calibrated quarter: the newsletter's sentences, and the
same figures as JSON, CSV and a spreadsheet."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from typing import Any

import pytest
from openpyxl import load_workbook

from analytics_stream.figures import quarterly_figures
from analytics_stream.report import render
from analytics_stream.statistics import Scope, summary
from services.demo.calibrated import all_visit_records, calibrated_plan, centre_records

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
