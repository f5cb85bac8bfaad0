"""Languages: locale selection and localized column access."""
from __future__ import annotations

from babel import Locale
from flask import current_app, g, has_request_context, request
from flask_babel import Domain, get_locale
from flask_login import current_user

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
        locale = current_locale()
        if locale is not None:
            loaded = self.cache.get((str(locale), self.domain[0]))
            if loaded is not None:
                return loaded
        return super().get_translations()


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
