"""Languages: locale selection and localized column access."""
from __future__ import annotations

from babel import Locale
from flask import current_app, g, has_request_context, request
from flask_babel import Domain, get_locale
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup

LANGUAGES = ("kk", "ru", "en")
LANGUAGE_NAMES = {"kk": "Қазақша", "ru": "Русский", "en": "English"}
LANG_COOKIE = "lang"
# When a translation is missing in the data, this is the order we fall back in.
_FALLBACK = {"kk": ("kk", "ru", "en"), "ru": ("ru", "kk", "en"), "en": ("en", "ru", "kk")}


def select_locale() -> str:
    """Account preference, else the cookie, else Accept-Language, else the default (Kazakh)."""
    if has_request_context():
        user_lang = getattr(current_user, "language", None) if current_user else None
        if user_lang in LANGUAGES:
            return user_lang
        cookie = request.cookies.get(LANG_COOKIE)
        if cookie in LANGUAGES:
            return cookie
        best = request.accept_languages.best_match(LANGUAGES)
        if best:
            return best
    return current_app.config.get("DEFAULT_LOCALE", "kk")


def current_locale() -> Locale | None:
    """flask_babel's ``get_locale()``, read straight from where it keeps the context's locale once chosen.

    A page asks hundreds of times (every localized name, every date); ``get_locale`` walks the context
    proxies three times over on each call, 6% of a search page's Python calls. When the locale is not chosen
    yet, or flask_babel keeps it elsewhere one day, this is ``get_locale()`` itself. ``force_locale`` clears
    the kept locale, so it is honoured (tests/core/test_i18n.py).
    """
    try:
        locale = g._get_current_object()._flask_babel.babel_locale
    except (AttributeError, RuntimeError):  # not chosen yet, or outside an app context
        locale = None
    return locale if locale is not None else get_locale()


class KeptDomain(Domain):
    """flask_babel's message domain, finding the catalog already loaded for :func:`current_locale`, where
    flask_babel's own asks ``get_locale()`` on every gettext (a search page translates about a hundred
    strings). A catalog not loaded yet, or no context, is left to flask_babel."""

    def get_translations(self):
        try:
            context = g._get_current_object()._flask_babel
            locale = context.babel_locale
        except (AttributeError, RuntimeError):  # not chosen yet, or outside an app context
            return super().get_translations()
        # The context's catalog as found last, while its locale is still that object (force_locale puts another
        # one in its place, then the first back): naming the locale (str) took most of a lookup.
        found = getattr(context, "kept_translations", None)
        if found is not None and found[0] is locale:
            return found[1]
        loaded = self.cache.get((str(locale), self.domain[0])) if locale is not None else None
        if loaded is None:
            return super().get_translations()
        context.kept_translations = (locale, loaded)
        return loaded


def install_template_gettext(app, domain: Domain) -> None:
    """The templates' ``_`` and ``gettext`` straight from ``domain``'s catalog for the page's locale, as
    flask_babel installs them but without its lookup of the domain and Jinja's two indirections on every call
    (a page translates dozens of strings: a fourteenth of the booking form's CPU). What Jinja's newstyle gettext
    does is kept: the result is Markup where the template autoescapes, and always a ``%(name)s`` format (a
    literal percent is written ``%%``). ``ngettext`` and the rest are Jinja's, over the same catalog."""

    @pass_context
    def gettext(context, string: str, **variables):
        translated = domain.get_translations().ugettext(string)
        if context.eval_ctx.autoescape:
            translated = Markup(translated)
        return translated % variables

    app.jinja_env.install_gettext_callables(
        gettext=lambda s: domain.get_translations().ugettext(s),
        ngettext=lambda s, p, n: domain.get_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: domain.get_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: domain.get_translations().unpgettext(c, s, p, n))
    app.jinja_env.globals.update(gettext=gettext, _=gettext)


def current_language() -> str:
    locale = current_locale()
    return locale.language if locale else "kk"


def localized(obj, field: str, lang: str | None = None) -> str:
    """Value of ``field_<lang>`` on ``obj``, falling back to the other languages."""
    if obj is None:
        return ""
    lang = lang or current_language()
    for code in _FALLBACK.get(lang, LANGUAGES):
        value = getattr(obj, f"{field}_{code}", None)
        if value:
            return value
    return ""
