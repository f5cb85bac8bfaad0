"""Every message is translated into Kazakh and Russian, and the catalogs are up to date."""
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = ROOT / "reception" / "translations"


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The messages in the code and templates now (as `make translations-extract` finds them)."""
    out = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), "-q", "extract", "-F", "babel.cfg",
                    "-k", "_l", "-k", "lazy_gettext", "-k", "ngettext:1,2", "--no-location", "-o", str(out), "."],
                   cwd=ROOT, check=True)
    with open(out, "rb") as fh:
        return {m.id for m in read_po(fh) if m.id}


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_every_message_is_translated(extracted, lang):
    with open(CATALOGS / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
        catalog = read_po(fh)
    translated = {m.id for m in catalog if m.id and m.string and (all(m.string) if isinstance(m.string, tuple)
                                                                     else True) and not m.fuzzy}
    missing = sorted(str(m) for m in extracted - translated)
    assert missing == [], f"{len(missing)} message(s) not translated into {lang}: run make translations-update"


@pytest.mark.parametrize("lang,heading", [("kk", 'lang="kk"'), ("ru", 'lang="ru"')])
def test_home_page_has_no_english_left(client, lang, heading):
    client.set_cookie("lang", lang)
    page = client.get("/").get_data(as_text=True)
    assert heading in page
    for english in ("Register", "Log in", "Directory", "How it works", "Skip to main content"):
        assert english not in page
