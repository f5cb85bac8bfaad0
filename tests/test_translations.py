"""Every message is translated into Kazakh and Russian, and extraction reads every template and module."""
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = ROOT / "reception" / "translations"


def extract_command(out: Path) -> list[str]:
    """The recipe of `make translations-extract`, writing to ``out``: the test extracts as the catalogs are made."""
    recipe = re.search(r"^translations-extract:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.M).group(1)
    pybabel = str(Path(sys.executable).parent / "pybabel")
    command = [pybabel if arg == "$(PYBABEL)" else str(out) if arg == "$(TRANSLATIONS)/messages.pot" else arg
               for arg in shlex.split(recipe.replace("\\\n", " "))]
    assert not [arg for arg in command if "$(" in arg], "the test does not know a variable of the Makefile's recipe"
    return command


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The messages in the code and templates now (as `make translations-extract` finds them)."""
    out = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run(extract_command(out), cwd=ROOT, check=True)
    with open(out, "rb") as fh:
        return {m.id for m in read_po(fh) if m.id}


def _messages_in(path: Path, method: str) -> set:
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    return {message for _, message, _, _ in extract_from_file(method, path, keywords=keywords) if message}


def test_extraction_reads_every_template_and_module(extracted):
    """pybabel skips folders named `_*` unless told otherwise: templates/_macros/ went untranslated that way."""
    files = [(p, "jinja2") for p in (ROOT / "templates").rglob("*") if p.is_file()]
    files += [(p, "python") for p in (ROOT / "reception").rglob("*.py")]
    unread = sorted(str(path.relative_to(ROOT)) for path, method in files
                    if not _messages_in(path, method) <= extracted)
    assert unread == [], f"make translations-extract misses the messages of {unread}"


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_every_message_is_translated(extracted, lang):
    with open(CATALOGS / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
        catalog = read_po(fh)
    translated = {m.id for m in catalog if m.id and m.string and (all(m.string) if isinstance(m.string, tuple)
                                                                     else True) and not m.fuzzy}
    missing = sorted(str(m) for m in extracted - translated)
    assert missing == [], f"{len(missing)} message(s) not translated into {lang}: {missing[:10]}; " \
                          "run make translations-update and translate them"


@pytest.mark.parametrize("lang,heading", [("kk", 'lang="kk"'), ("ru", 'lang="ru"')])
def test_home_page_has_no_english_left(client, lang, heading):
    client.set_cookie("lang", lang)
    page = client.get("/").get_data(as_text=True)
    assert heading in page
    for english in ("Register", "Log in", "Directory", "How it works", "Skip to main content"):
        assert english not in page


@pytest.mark.parametrize("lang,summary", [("kk", "Төменде белгіленген өрістерді түзетіңіз."),
                                          ("ru", "Пожалуйста, исправьте поля, отмеченные ниже.")],
                         ids=["kk", "ru"])
def test_a_form_with_errors_says_so_in_the_users_language(client, submit, lang, summary):
    """The summary above a form's errors comes from templates/_macros/forms.html, shared by every form."""
    client.set_cookie("lang", lang)
    r = submit("/register", {})
    assert r.status_code == 422
    assert summary in r.get_data(as_text=True)
