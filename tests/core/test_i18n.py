"""reception.core.i18n.current_locale: flask_babel's locale, read where flask_babel keeps it once chosen."""
from __future__ import annotations

from flask import render_template_string
from flask_babel import force_locale, get_locale, gettext, lazy_gettext

from reception.core.i18n import current_language, current_locale
from reception.core.timeutil import format_local


def test_the_locale_is_flask_babels_in_a_request_and_under_force_locale(app):
    """A message rendered for another person inside a request (``force_locale``, as the ballot and the
    waitlist do) is in that person's language, and the page's language comes back after it."""
    with app.test_request_context("/", headers={"Accept-Language": "ru"}):
        assert current_language() == "ru" and current_locale() == get_locale()
        with force_locale("kk"):
            assert current_language() == "kk" and current_locale() == get_locale()
            with force_locale("en"):
                assert current_language() == "en"
            assert current_language() == "kk"
        assert current_language() == "ru"


def test_outside_a_request_the_app_context_decides(app):
    """The dispatcher renders in an app context alone, one recipient's language after another's."""
    from datetime import UTC, datetime

    moment = datetime(2027, 3, 1, 6, 0, tzinfo=UTC)
    with app.app_context():
        with force_locale("ru"):
            russian = format_local(moment, "Asia/Almaty")
        with force_locale("en"):
            english = format_local(moment, "Asia/Almaty")
    assert "понедельник" in russian.lower() and "Monday" in english


def test_messages_follow_the_locale_once_its_catalog_is_loaded(app):
    """Messages (gettext, lazy strings, templates) and cached dates come from the catalog of the language in
    force at each moment, also after every catalog has been loaded once: what a request's page and the letters
    it writes to people of other languages rely on (reception.core.i18n.KeptDomain)."""
    from datetime import UTC, datetime

    moment = datetime(2027, 3, 1, 6, 0, tzinfo=UTC)
    zone = lazy_gettext("Astana time")
    for _ in range(2):  # the second time round, every catalog and date is already loaded
        with app.test_request_context("/", headers={"Accept-Language": "ru"}):
            assert gettext("Astana time") == str(zone) == "время Астаны"
            assert render_template_string("{{ _('Astana time') }}") == "время Астаны"
            assert format_local(moment, "Asia/Almaty").endswith("(время Астаны)")
            with force_locale("kk"):
                assert gettext("Astana time") == str(zone) == "Астана уақыты"
                assert render_template_string("{{ _('Astana time') }}") == "Астана уақыты"
                assert format_local(moment, "Asia/Almaty").endswith("(Астана уақыты)")
            assert str(zone) == "время Астаны"
            assert format_local(moment, "Asia/Almaty").endswith("(время Астаны)")


def test_templates_translate_with_jinjas_newstyle_rules(app):
    """The templates' own gettext (reception.core.i18n.install_template_gettext) keeps Jinja's rules: a name put
    into a message is escaped in an HTML page and left as it is in a plain-text letter, a literal percent is
    written ``%%``, ``gettext`` and ``_`` are the same, and ``{% trans %}`` blocks still translate."""
    message = "Cancel your reception with %(name)s?"
    with app.test_request_context("/", headers={"Accept-Language": "ru"}):
        html = render_template_string("{{ _(m, name=n) }}|{{ gettext(m, name=n) }}", m=message, n="<b>Ann</b>")
        escaped = "Отменить вашу запись на приём к &lt;b&gt;Ann&lt;/b&gt;?"
        assert html == f"{escaped}|{escaped}"
        text = render_template_string("{% autoescape false %}{{ _(m, name=n) }}{% endautoescape %}", m=message,
                                      n="<b>Ann</b>")
        assert text == "Отменить вашу запись на приём к <b>Ann</b>?"
        assert render_template_string("{{ _('100%% of %(what)s', what='x') }}") == "100% of x"
        assert render_template_string("{% trans %}Astana time{% endtrans %}") == "время Астаны"
