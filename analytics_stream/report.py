"""`msc report`: the quarterly statistical report, laid out like the programme's newsletter.

Rendered from the same summary the statistics API gives (`analytics_stream.statistics.summary`),
so the report and the API cannot disagree. Formats: text (the newsletter section), json (the
summary itself), csv (one figure per row), xlsx (a sheet of figures), pdf (the text and charts
of clients per tenant, the service mix and preferred destinations). Withheld cells (`None`)
are printed as "fewer than 10" or left empty. Referral figures follow the visits' in each format.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

FORMATS = ("text", "json", "csv", "xlsx", "pdf")

LABELS = {
    "information": "information", "counselling": "counselling", "referral": "referral",
    "labour": "labour migration", "study": "study", "family_reunion": "family reunion",
    "none": "no plans to migrate", "undecided": "undecided",
    "work_permit": "work permit holders", "residence_permit": "residence permit holders",
    "asylum_seeker": "asylum seekers", "refugee": "refugees", "no_permit": "without a permit",
    "unknown": "permit not recorded", "other": "other",
    "employed": "employed", "unemployed": "unemployed", "self_employed": "self-employed",
    "student": "students", "inactive": "inactive",
    "work": "work", "asylum": "asylum", "family": "family",
}


def _label(code: str) -> str:
    return LABELS.get(code, code)


def _number(value: int | None) -> str:
    return "fewer than 10" if value is None else f"{value:,}"


def _percent(part: int | None, whole: int | None) -> str:
    if part is None or not whole:
        return "n/a"
    return f"{100 * part / whole:.1f} %"


def _list(codes: list[str]) -> str:
    named = [_label(c) for c in codes]
    if len(named) <= 1:
        return "".join(named) or "none"
    return ", ".join(named[:-1]) + " and " + named[-1]


def _leader(breakdown: Mapping[str, int | None]) -> tuple[str, int] | None:
    top = _top(breakdown, 1)
    return top[0] if top else None


def _day(value: str) -> str:
    day = date.fromisoformat(value)
    return f"{day.day} {day:%B %Y}"


def render_text(summary: Mapping[str, Any]) -> str:
    """The newsletter section: figures, shares and rankings in sentences."""
    s = summary
    nat, imm = s["nationals"], s["immigrants"]
    mean, median = nat["mean_age_years"], nat["median_age_years"]
    clients, national = s["clients"], nat["clients"]
    services = s["services"]
    given = sum(v for v in services.values() if v) or None
    lines = [
        f"Migrant Service Centres: statistics from {_day(s['period']['from'])} "
        f"to {_day(s['period']['to'])}",
        f"Tenants: {', '.join(s['tenants'])}"
        + (f"; centre {s['centre_id']}" if s["centre_id"] else ""),
        "",
        f"{s['centres_with_visits']} centres served {_number(clients)} clients in "
        f"{_number(s['visits'])} visits. {_number(s['immigrant_clients'])} clients "
        f"({_percent(s['immigrant_clients'], clients)}) were immigrants and "
        f"{_number(s['national_clients'])} were nationals, returnees included.",
    ]
    if len(s["tenants"]) > 1:
        lines.append(f"Most visitors came to the centres in {_list(s['visitors_ranking'][:3])}.")
    lines += [
        "",
        "National clients",
        f"  men: {_percent(nat['male'], national)}; mean age "
        f"{'n/a' if mean is None else f'{mean:.1f}'} years, "
        f"median {'n/a' if median is None else f'{median:g}'}",
        f"  urban: {_percent(nat['urban'], national)}; unemployed: "
        f"{_percent(nat['unemployed'], national)}",
        f"  with previous migration experience: "
        f"{_percent(nat['with_previous_migration'], national)}, mainly for "
        f"{_list([c for c, _ in _top(nat['previous_migration_purposes'], 2)])}; previous "
        f"destinations: {_list(nat['previous_destinations_top3'])}",
        f"  main interest: {_label((_leader(nat['migration_intentions']) or ('n/a', 0))[0])}; "
        f"preferred destinations: {_list(nat['preferred_destinations_top5'])}",
        "",
        "Services given (shares of all services)",
        "  " + "; ".join(f"{_label(code)} {_percent(count, given)}"
                         for code, count in services.items()),
        "",
        "Immigrant clients",
        f"  {_number(imm['clients'])}; most in {_list(imm['tenants_with_most_top3'])}; "
        f"none in {_list(imm['tenants_with_none'])}",
    ]
    for title, breakdown in (("permit", imm["permit_status"]),
                             ("employment", imm["employment_status"])):
        leader = _leader(breakdown)
        if leader is not None:
            lines.append(f"  most common {title}: {_label(leader[0])} "
                         f"({_percent(leader[1], imm['clients'])})")
    if s["group_sessions"]:
        lines += ["", "Group sessions"]
        lines += [f"  {g['topic']}: {g['sessions']} sessions in {_list(g['centres'])}, "
                  f"{g['attendees']} clients" for g in s["group_sessions"]]
    lines += _referral_lines(s.get("referrals"))
    if s["small_cells_withheld_below"]:
        lines += ["", "Figures that could describe fewer than 10 people are withheld."]
    return "\n".join(lines) + "\n"


REFERRAL_ROWS_SHOWN = 5


def _hours(value: float | None) -> str:
    return "n/a" if value is None else f"{value:g} hours"


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} %"


def _referral_lines(r: Mapping[str, Any] | None) -> list[str]:
    """The referral paragraph: totals, answers, endings, routing, the largest institutions and
    needs (all of them are in the json, csv and xlsx formats). A withheld row says so rather
    than "fewer than 10": secondary suppression withholds large rows too."""
    if r is None:
        return []
    title = "Referrals to skills-development institutions (sent in the period, as they stand now)"
    if "not_applicable" in r:
        return ["", f"Referrals: {r['not_applicable']}"]
    if r["clients"] is None:
        return ["", title, "  fewer than 10 clients were referred: the figures are withheld"]
    routing = r["top_suggestion"]
    lines = [
        "",
        title,
        f"  {_number(r['sent'])} referrals for {_number(r['clients'])} clients: "
        f"{_number(r['accepted'])} accepted, {_number(r['declined'])} declined, "
        f"{_number(r['waiting'])} still waiting for an answer, {_number(r['expired'])} expired "
        "unanswered",
        f"  {_number(r['completed'])} completed, {_number(r['not_completed'])} not completed, "
        f"{_number(r['cancelled'])} cancelled; median time to answer "
        f"{_hours(r['median_hours_to_answer'])}",
        f"  routing's first suggestion chosen in {_number(routing['chosen'])} referrals "
        f"({_share(routing['chosen_pct'])}); completed, of those ended: "
        f"{_share(routing['completion_pct_when_chosen'])} when chosen, "
        f"{_share(routing['completion_pct_otherwise'])} otherwise",
    ]
    for kind, rows, name in (("institutions", r["by_institution"], "name"),
                             ("needs", r["by_need"], "need")):
        if rows:
            lines.append(f"  most referred {kind}: " + "; ".join(
                f"{row[name]} (withheld)" if row["clients"] is None else
                f"{row[name]} {_number(row['sent'])} sent, {_number(row['completed'])} completed"
                for row in rows[:REFERRAL_ROWS_SHOWN]))
    return lines


def _top(breakdown: Mapping[str, int | None], n: int) -> list[tuple[str, int]]:
    shown = [(code, count) for code, count in breakdown.items() if count]
    return sorted(shown, key=lambda c: (-c[1], c[0]))[:n]


def flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted name, value) for every figure; lists of codes are joined with spaces."""
    if isinstance(value, Mapping):
        for key, inner in value.items():
            yield from flatten(inner, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        yield prefix, " ".join(value)
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from flatten(inner, f"{prefix}.{index}")
    else:
        yield prefix, value


def render_csv(summary: Mapping[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["figure", "value"])
    for name, value in flatten(summary):
        writer.writerow([name, "" if value is None else value])
    return out.getvalue()


def render_xlsx(summary: Mapping[str, Any]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None  # noqa: S101 - a new workbook always has one sheet
    sheet.title = "figures"
    sheet.append(["figure", "value"])
    for name, value in flatten(summary):
        sheet.append([name, value])
    sheet.column_dimensions["A"].width = 48
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _bar_chart(axes: Any, title: str, breakdown: Mapping[str, int | None], limit: int) -> None:
    shown = _top(breakdown, limit)
    labels = [_label(code) for code, _ in shown]
    axes.barh(labels[::-1], [count for _, count in shown][::-1], color="#1f5f99")
    axes.set_title(title, fontsize=10, loc="left")
    axes.tick_params(labelsize=8)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)


def render_pdf(summary: Mapping[str, Any]) -> bytes:
    """An A4 page of the newsletter's text, then a page of charts."""
    import matplotlib

    matplotlib.use("Agg")  # no display: files only
    from matplotlib import pyplot
    from matplotlib.backends.backend_pdf import PdfPages

    out = io.BytesIO()
    a4 = (8.27, 11.69)
    with PdfPages(out) as pdf:
        page = pyplot.figure(figsize=a4)
        page.text(0.06, 0.96, render_text(summary), va="top", ha="left", fontsize=8.5,
                  family="DejaVu Sans", wrap=True)
        pdf.savefig(page)
        pyplot.close(page)
        charts, (tenants, services, destinations) = pyplot.subplots(3, 1, figsize=a4)
        _bar_chart(tenants, "Clients per tenant", summary["clients_by_tenant"], 7)
        _bar_chart(services, "Services given", summary["services"], 3)
        _bar_chart(destinations, "Preferred destinations of national clients",
                   summary["nationals"]["preferred_destinations"], 8)
        charts.tight_layout(pad=2.0)
        pdf.savefig(charts)
        pyplot.close(charts)
    return out.getvalue()


def render(summary: Mapping[str, Any], fmt: str) -> bytes:
    if fmt == "text":
        return render_text(summary).encode()
    if fmt == "json":
        return (json.dumps(summary, indent=2, ensure_ascii=False) + "\n").encode()
    if fmt == "csv":
        return render_csv(summary).encode()
    if fmt == "xlsx":
        return render_xlsx(summary)
    if fmt == "pdf":
        return render_pdf(summary)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
