"""Every string of the web pages is translated into every language of the pages: the test reads
the templates and modules as `makemessages` would and fails on anything missing, empty, fuzzy
or with other placeholders than its source. And the translations are the ones Django uses."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.catalog import Catalog
from django.conf import settings
from django.utils import translation

from intake import choices
from intake.models import CentreKind
from intake.services import CLIENT_FIELDS
from referrals import hsds, routing
from referrals.routing import RULES, TARGET_GROUPS
from referrals.taxonomy import SKILLS_TERMS
from referrals.workflow import OUTCOMES, Action, State
from services.auth.tokens import Role
from services.web import explanations, labels
from services.web.i18n import (
    all_problems,
    catalog_languages,
    catalog_problems,
    compile_catalogs,
    extract_strings,
    read_catalog,
)


def test_every_string_has_a_translation_in_every_language() -> None:
    assert set(catalog_languages()) == {"sq", "sr-latn", "sr", "bs", "hr", "mk", "cnr"}
    problems = all_problems()
    assert not problems, "\n".join(problems)


def test_strings_come_from_templates_and_modules_with_their_placeholders() -> None:
    strings = extract_strings()
    assert len(strings) > 150
    files = {file.split("/")[-1] for s in strings.values() for file, _ in s.locations}
    assert {"base.html", "refer.html", "referral.html", "labels.py", "forms.py",
            "sent_referrals.py"} <= files
    assert (None, "Skip to main content") in strings
    # {% blocktranslate %} variables become named placeholders, as Django looks them up.
    assert (None, "Refer %(given)s %(family)s") in strings
    found = strings[(None, "%(counter)s client found.")]
    assert found.plural == "%(counter)s clients found."


def test_the_check_finds_missing_fuzzy_empty_and_changed_placeholders(tmp_path: Path) -> None:
    template = tmp_path / "page.html"
    template.write_text('{% load i18n %}{% translate "Hello" %} {% translate "Bye" %} '
                        '{% translate "Empty" %} {% translate "Gone" %}'
                        '{% blocktranslate %}Hi {{ name }}{% endblocktranslate %}',
                        encoding="utf-8")
    strings = extract_strings([template])
    catalog = Catalog(locale="sq")
    catalog.add("Hello", "Përshëndetje")
    catalog.add("Bye", "Mirupafshim", flags=["fuzzy"])
    catalog.add("Empty", "")
    catalog.add("Hi %(name)s", "Tung %(emri)s")
    problems = catalog_problems(catalog, strings)
    assert len(problems) == 4, problems
    assert any("fuzzy translation of 'Bye'" in p for p in problems)
    assert any("empty translation of 'Empty'" in p for p in problems)
    assert any("no translation of 'Gone'" in p for p in problems)
    assert any("'Hi %(name)s' has placeholders" in p for p in problems)


def test_django_uses_the_compiled_catalogs() -> None:
    assert compile_catalogs() == []  # nothing older than its .po: Django started with them
    expected = {"sq": "Referimet", "sr-latn": "Upućivanja", "sr": "Упућивања",
                "bs": "Upućivanja", "hr": "Upućivanja", "mk": "Упатувања", "cnr": "Upućivanja"}
    for language, word in expected.items():
        with translation.override(language):
            assert translation.gettext("Referrals") == word, language
            assert translation.gettext("Counsellor") != "Counsellor", language
    assert [code for code, _ in settings.LANGUAGES if code not in expected] == ["en"]


def test_montenegrin_is_a_catalog_of_its_own() -> None:
    catalog = read_catalog("cnr")
    municipality, history = catalog.get("Municipality"), catalog.get("History")
    assert municipality is not None and municipality.string == "Opština"  # Bosnian: "Općina"
    assert history is not None and history.string == "Istorija promjena"  # ijekavian


_DIGRAPHS = {"lj": "љ", "nj": "њ", "dž": "џ", "Lj": "Љ", "Nj": "Њ", "Dž": "Џ"}
_LETTERS = dict(zip("abcčćdđefghijklmnoprsštuvzž", "абцчћдђефгхијклмнопрсштувзж", strict=True))
_LETTERS.update({latin.upper(): cyrillic.upper() for latin, cyrillic in list(_LETTERS.items())})
# Kept as they are in both scripts: placeholders, the platform's name, the names of file
# formats, country codes (typed in Latin letters whatever the script) and example addresses.
_VERBATIM = re.compile(r"%\([a-z_]+\)[sd]|%%|MSC|HSDS|JSON|CSV|MB|\b[A-Z]{2}\b|\S+@\S+\.[a-z]+")


def _to_cyrillic(text: str) -> str:
    out, at = [], 0
    for kept in [*_VERBATIM.finditer(text), None]:
        part = text[at:kept.start() if kept else len(text)]
        i = 0
        while i < len(part):
            pair = _DIGRAPHS.get(part[i:i + 2])
            out.append(pair or _LETTERS.get(part[i], part[i]))
            i += 2 if pair else 1
        if kept:
            out.append(kept.group())
            at = kept.end()
    return "".join(out)


def test_serbian_says_the_same_in_both_scripts() -> None:
    latin, cyrillic = read_catalog("sr-latn"), read_catalog("sr")
    differ = []
    for message in latin:
        if not message.id or "Ђорђевић" in str(message.id):  # examples of typed input
            continue
        other = cyrillic.get(message.id, context=message.context)
        assert other is not None, message.id
        forms = zip(_translations_of(message.string), _translations_of(other.string),
                    strict=True)
        differ += [f"{latin_text!r} / {cyrillic_text!r}" for latin_text, cyrillic_text in forms
                   if _to_cyrillic(latin_text) != cyrillic_text]
    assert not differ, "\n".join(differ)


def _translations_of(string: object) -> list[str]:
    return [str(s) for s in string] if isinstance(string, tuple | list) else [str(string)]


def test_every_code_the_pages_show_has_a_word() -> None:
    assert set(labels.STATES) == set(State)
    assert set(labels.ACTIONS) == set(Action)
    assert set(labels.OUTCOMES) == set(OUTCOMES)
    assert set(labels.NEEDS) == {code for code, _, _ in SKILLS_TERMS}
    assert set(labels.RULES) == set(RULES)
    assert set(labels.COMPONENTS) == {"distance", "capacity", "waiting", "record"}
    assert set(labels.CHANNELS) == set(choices.Channel.values)
    assert set(labels.VISIT_SERVICES) == set(choices.Service.values)
    assert set(labels.TOPICS) == set(choices.Topic.values)
    assert set(labels.CATEGORIES) == set(choices.ClientCategory.values)
    assert set(labels.ROLES) == set(Role.ALL)
    assert set(labels.SEXES) == set(choices.Sex.values)
    assert set(labels.EDUCATION_LEVELS) == set(choices.EducationLevel.values)
    assert set(labels.EMPLOYMENT) == set(choices.EmploymentStatus.values)
    assert set(labels.OCCUPATIONS) == set(choices.IscoMajorGroup.values)
    assert set(labels.INTENTIONS) == set(choices.MigrationIntention.values)
    assert set(labels.PERMITS) == set(choices.PermitStatus.values)
    assert set(labels.STAY_PURPOSES) == set(choices.StayPurpose.values)
    assert set(labels.CONSENT_SCOPES) == set(choices.ConsentScope.values)
    assert set(labels.CENTRE_KINDS) == set(CentreKind.values)
    assert set(labels.TARGET_GROUPS) == set(TARGET_GROUPS)
    assert set(labels.SERVICE_STATUSES) == set(hsds.STATUSES)
    assert set(labels.CLIENT_FIELDS) == {*CLIENT_FIELDS, "stays"}


def test_every_routing_reason_has_a_template_in_the_pages_languages() -> None:
    source = Path(routing.__file__).read_text(encoding="utf-8")
    codes = set(re.findall(r'"((?:target_group|age|education|language|capacity|distance|seats'
                           r'|waiting|record)\.[a-z_]+)"', source))
    assert len(codes) > 20
    # The free seats read "N of M" or "N", whichever the values allow.
    said = {*explanations.RULES, *explanations.COMPONENTS, "capacity.free", "seats.free"}
    assert codes == said
    reason = {"code": "age.between", "params": {"age": 41, "minimum": 16, "maximum": 64},
              "detail": "client is 41; service takes 16–64"}
    with translation.override("mk"):
        assert explanations.rule_reason(reason) == (
            "Клиентот има 41 години; услугата прима од 16 до 64 години.")
    old = {"rule": "age", "passed": True, "detail": "client is 41; service takes 16–64"}
    assert explanations.rule_reason(old) == "client is 41; service takes 16–64"
