"""The web pages' translation catalogs: find their strings, compile them, check them.

The catalogs are `locale/<locale>/LC_MESSAGES/django.po` beside this module, one per language of
`settings.LANGUAGES` but the source language (English). They are compiled to `.mo` in pure Python
(Babel), not with GNU gettext's `msgfmt`, which a fresh Debian does not have: at build time
(`python -m services.web.i18n compile`, run by infra/start.sh and infra/test.sh) and, when a
catalog is newer than its compiled file, when Django starts (`WebConfig.ready`). Compiled files
are build output, never edited or committed.

The strings come from the same places Django's `makemessages` reads: the templates, turned into
gettext calls by Django's own `templatize`, and the Python modules' gettext calls.

    python -m services.web.i18n compile   # .po -> .mo where a .po is newer
    python -m services.web.i18n update    # add new strings to every .po (empty), drop unused ones
    python -m services.web.i18n check     # what is missing, fuzzy or has other placeholders
"""

from __future__ import annotations

import io
import os
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

WEB_DIR = Path(__file__).resolve().parent
LOCALE_DIR = WEB_DIR / "locale"
TEMPLATE_DIR = WEB_DIR / "templates"
DOMAIN = "django"
SOURCE_LANGUAGE = "en"

# Django's lazy and no-op variants, as makemessages passes them to xgettext.
KEYWORDS = {
    **DEFAULT_KEYWORDS,
    "gettext_lazy": None, "gettext_noop": None, "ngettext_lazy": (1, 2),
    "pgettext_lazy": ((1, "c"), 2), "npgettext_lazy": ((1, "c"), 2, 3),
}

# printf-style placeholders as Python formats them: %(name)s, %s, %d, %.1f; not %%.
_PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa]")
# str.format-style placeholders, in case a Python string uses them.
_BRACES = re.compile(r"(?<!\{)\{[a-zA-Z_0-9]*(?:![rsa])?(?::[^{}]*)?\}(?!\})")


def catalog_languages() -> list[str]:
    """Every language of the pages that needs a catalog (all but the source language)."""
    from django.conf import settings

    return [code for code, _ in settings.LANGUAGES if code != SOURCE_LANGUAGE]


def locale_name(language: str) -> str:
    """Django's locale directory name for a language code: "sr-latn" -> "sr_Latn"."""
    from django.utils.translation import to_locale

    return to_locale(language)


def po_path(language: str) -> Path:
    return LOCALE_DIR / locale_name(language) / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(language: str) -> Catalog:
    with po_path(language).open("rb") as po_file:
        return read_po(po_file, locale=locale_name(language), domain=DOMAIN)


# --- Compiling --------------------------------------------------------------------------------


def _write_atomically(target: Path, data: bytes) -> None:
    """Replace `target` whole, so a process starting meanwhile never reads half a file."""
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def compile_catalogs(*, force: bool = False) -> list[Path]:
    """Compile each `.po` whose `.mo` is missing or older; fuzzy entries are left out."""
    written = []
    for po in sorted(LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo = po.with_suffix(".mo")
        if not force and mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as po_file:
            catalog = read_po(po_file, domain=DOMAIN)
        buffer = io.BytesIO()
        write_mo(buffer, catalog, use_fuzzy=False)
        _write_atomically(mo, buffer.getvalue())
        written.append(mo)
    return written


# --- Extracting -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceString:
    """A translatable string as the code has it, and where (for the translator)."""

    msgid: str
    plural: str | None
    context: str | None
    locations: tuple[tuple[str, int], ...]

    @property
    def key(self) -> tuple[str | None, str]:
        return self.context, self.msgid


def _python_strings(code: str) -> Iterator[tuple[int, str | tuple[str, ...], str | None]]:
    for lineno, message, _comments, context in extract("python", io.BytesIO(code.encode()),
                                                      keywords=KEYWORDS):
        yield lineno, message, context


def _template_code(path: Path) -> str:
    """The template as Python-like gettext calls: what makemessages hands to xgettext."""
    from django.utils.translation.template import templatize

    return templatize(path.read_text(encoding="utf-8"), origin=str(path))


def source_files() -> list[Path]:
    """The web app's templates and Python modules (its tests and build helpers read nothing)."""
    templates = sorted(TEMPLATE_DIR.rglob("*.html"))
    modules = sorted(p for p in WEB_DIR.rglob("*.py") if "formats" not in p.parts)
    return [*templates, *modules]


def extract_strings(files: Iterable[Path] | None = None) -> dict[tuple[str | None, str],
                                                                  SourceString]:
    """Every translatable string of the web app, by (context, msgid)."""
    found: dict[tuple[str | None, str], SourceString] = {}
    for path in source_files() if files is None else files:
        code = _template_code(path) if path.suffix == ".html" else path.read_text(
            encoding="utf-8")
        where = str(path.relative_to(WEB_DIR)) if path.is_relative_to(WEB_DIR) else str(path)
        for lineno, message, context in _python_strings(code):
            singular, plural = ((message[0], message[1]) if isinstance(message, tuple)
                                else (message, None))
            if not singular:
                continue
            key = (context, singular)
            before = found.get(key)
            locations = (*(before.locations if before else ()), (where, lineno))
            found[key] = SourceString(singular, plural or (before.plural if before else None),
                                      context, locations)
    return found


def template_catalog(strings: dict[tuple[str | None, str], SourceString]) -> Catalog:
    """The strings as an empty catalog (a .pot), sorted so that diffs stay small."""
    template = Catalog(domain=DOMAIN, project="MSC platform", fuzzy=False)
    for key in sorted(strings, key=lambda k: (k[1], k[0] or "")):
        string = strings[key]
        template.add((string.msgid, string.plural) if string.plural else string.msgid,
                     locations=string.locations, context=string.context)
    return template


def update_catalogs() -> list[Path]:
    """Bring every language's .po in line with the code: new strings empty, unused ones gone."""
    template = template_catalog(extract_strings())
    written = []
    for language in catalog_languages():
        path = po_path(language)
        if path.exists():
            catalog = read_catalog(language)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=locale_name(language), domain=DOMAIN,
                              project="MSC platform", fuzzy=False)
        catalog.update(template, no_fuzzy_matching=True, update_creation_date=False)
        catalog.obsolete.clear()
        buffer = io.BytesIO()
        write_po(buffer, catalog, width=100, sort_output=True, ignore_obsolete=True)
        path.write_bytes(buffer.getvalue())
        written.append(path)
    return written


# --- Checking ---------------------------------------------------------------------------------


def placeholders(text: str) -> Counter[str]:
    """The format placeholders of a string, counted, so that %s twice is not %s once."""
    return Counter(_PLACEHOLDER.findall(text.replace("%%", ""))) + Counter(
        _BRACES.findall(text))


def _translations(message: Message) -> list[str]:
    strings = message.string
    if isinstance(strings, tuple | list):
        return [str(s) for s in strings]
    return [str(strings or "")]


def catalog_problems(catalog: Catalog,
                     strings: dict[tuple[str | None, str], SourceString]) -> list[str]:
    """What keeps `catalog` from translating every string: missing, empty, fuzzy, or another
    set of placeholders than the source has (a translation must fill in the same values)."""
    problems = []
    language = str(catalog.locale or "?")
    for _key, string in sorted(strings.items(), key=lambda item: item[0][1]):
        where = ", ".join(f"{file}:{line}" for file, line in string.locations[:2])
        message = catalog.get(string.msgid, context=string.context)
        if message is None:
            problems.append(f"{language}: no translation of {string.msgid!r} ({where})")
            continue
        if message.fuzzy:
            problems.append(f"{language}: fuzzy translation of {string.msgid!r} ({where})")
        translated = _translations(message)
        if not all(t.strip() for t in translated):
            problems.append(f"{language}: empty translation of {string.msgid!r} ({where})")
            continue
        expected = placeholders(string.plural or string.msgid)
        for text in translated:
            # A plural's singular form may leave the count out ("one referral").
            got = placeholders(text)
            if got != expected and not (string.plural and got <= expected):
                problems.append(f"{language}: {string.msgid!r} has placeholders "
                                f"{sorted(expected.elements())}, its translation {text!r} "
                                f"has {sorted(got.elements())}")
    return problems


def all_problems() -> list[str]:
    strings = extract_strings()
    problems: list[str] = []
    for language in catalog_languages():
        if not po_path(language).exists():
            problems.append(f"{language}: no catalog at {po_path(language)}")
            continue
        problems.extend(catalog_problems(read_catalog(language), strings))
    return problems


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "compile"
    if command == "compile":  # needs no settings: a build step before anything is configured
        written = compile_catalogs(force="--force" in argv)
        print(f"compiled {len(written)} catalog(s) in {LOCALE_DIR}")  # noqa: T201
        return 0
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "services.settings.dev")
    django.setup()
    if command == "update":
        for path in update_catalogs():
            print(f"updated {path}")  # noqa: T201
        return 0
    if command == "check":
        problems = all_problems()
        for problem in problems:
            print(problem)  # noqa: T201
        return 1 if problems else 0
    print(__doc__)  # noqa: T201
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
