"""Garbage posted to every form: a clear 4xx answer, never a 500, and nothing written."""
from __future__ import annotations

import sys
from html.parser import HTMLParser
from typing import ClassVar

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import ImmutableMultiDict

from reception.core.permissions import Role
from reception.extensions import db as _db
from reception.main.views import refuse_nul_bytes
from tests.conftest import csrf_from, login
from tests.routes import (
    CITIZEN_ONLY,
    TOKEN_PREFIXES,
    app_rules,
    fill,
)

# Forms whose POST changes nothing worth guarding against garbage, or whose form lives on another
# page (a button), checked in their own tests.
SKIP = {"main.choose_language", "accounts.logout", "booking.cancel", "staff.participant_change", "video.join",
        "video.check_in", "hearings.board_step", "hearings.invite_body", "hearings.invitation_withdraw",
        "hearings.session_status"}
# Legal review: buttons on the case page, and forms whose only field is free text (tests/legal checks them).
SKIP |= {"legal.flag", "legal.withdraw", "legal.take", "legal.opinion_new", "legal.opinion_save", "legal.send",
         "legal.upload", "legal.attachment_remove"}
# Needs attention: one small form per item of the list, and a period may list none (tests/monitoring checks
# what garbage they get).
SKIP |= {"monitoring.attention"}
# Booking by lot: the world's session is booked as usual (its draw page has no form), and withdrawing is a
# button; tests/booking/test_ballot.py posts bad input to a draw's form.
SKIP |= {"ballot.apply", "ballot.withdraw"}
# "Log out everywhere else" is a button on the profile page with no field (tests/accounts/test_sessions.py).
SKIP |= {"accounts.end_other_sessions"}
# "Is your problem solved?" is a pair of buttons on the talon page, shown once a question's instructions are done;
# tests/outcomes/test_closing_the_loop.py posts bad answers to it.
SKIP |= {"outcomes.answer_solved"}
# Revoking an API token is a button on the tokens page (tests/api/test_tokens.py).
SKIP |= {"api_tokens.revoke"}
# Integration clients: revoking a token, disabling a client, giving a webhook address a new secret or disabling it
# are buttons on the client's pages (tests/api/test_clients.py, tests/api/test_webhooks.py).
SKIP |= {"api_clients.revoke", "api_clients.disable", "api_webhooks.rotate", "api_webhooks.disable"}
# "Send a new code" is a button with no field on the phone confirmation page (tests/accounts/test_phone_codes.py).
SKIP |= {"accounts.send_phone_code"}
# Systemic issues: the status, linking and taking-off forms live on the page (tests/systemic posts garbage
# to them).
SKIP |= {"systemic.change_status", "systemic.link", "systemic.unlink"}
# Answers the same whatever is asked, so as not to tell which accounts exist.
SAME_ANSWER_FORMS = {"accounts.forgot_password"}
VISITOR_FORMS = {"accounts.register", "accounts.login", "accounts.forgot_password", "accounts.reset_password",
                 "accounts.reset_with_code"}


def _post_rules():
    return [pytest.param(rule.rule, rule.endpoint, sorted(rule.arguments), id=rule.endpoint)
            for rule in app_rules() if "POST" in rule.methods and rule.endpoint not in SKIP
            # The JSON API takes no forms (nor CSRF tokens): tests/api (schemathesis, problems) sends it garbage.
            and not rule.endpoint.startswith(TOKEN_PREFIXES)]


POST_RULES = _post_rules()


class _FormFields(HTMLParser):
    """Names and kinds of the fields of the first POST form in <main>."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, str] = {}
        self.in_main = False
        self.done = False
        self.in_form = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "main":
            self.in_main = True
        elif tag == "form" and self.in_main and not self.done and (a.get("method") or "").lower() == "post":
            self.in_form = True
        elif self.in_form and tag in ("input", "select", "textarea") and a.get("name"):
            kind = a.get("type", tag) if tag == "input" else tag
            self.fields.setdefault(a["name"], kind)

    def handle_endtag(self, tag):
        if tag == "form" and self.in_form:
            self.in_form, self.done = False, True


def _garbage(fields: dict[str, str], variant: str) -> dict:
    data = {}
    for name, kind in fields.items():
        if name == "csrf_token":
            continue
        if kind in ("select", "checkbox", "radio"):
            data[name] = "999999999" if variant == "overlong" else "-1"
        elif kind == "email":
            data[name] = "not-an-email@" + "x" * 300 if variant == "overlong" else "@@"
        else:
            data[name] = "Ж" * 5000 if variant == "overlong" else "1 OR 1=1; <script>"
    return data


def _log_in_for(endpoint, client, login_as, world):
    if endpoint in CITIZEN_ONLY:
        login(client, world["citizen"])
    elif endpoint not in VISITOR_FORMS:
        login_as(Role.ADMIN)


def _row_count() -> int:
    # Not the audit log: opening a form page that shows personal data to staff records a view (tests/audit).
    return sum(_db.session.scalar(select(func.count()).select_from(t)) for t in _db.metadata.sorted_tables
               if t.name != "audit_events")


@pytest.mark.parametrize("variant", ["overlong", "wrong"])
@pytest.mark.parametrize("rule,endpoint,arguments", POST_RULES)
def test_garbage_is_refused_with_4xx_and_nothing_is_written(client, login_as, world, db, rule, endpoint,
                                                             arguments, variant):
    _log_in_for(endpoint, client, login_as, world)
    url = fill(rule, arguments, world["values"])
    page = client.get(url)
    assert page.status_code == 200, f"GET {url} gave {page.status_code}"
    parser = _FormFields()
    parser.feed(page.get_data(as_text=True))
    assert parser.fields, f"no form on {url}"
    before = _row_count()
    r = client.post(url, data={**_garbage(parser.fields, variant), "csrf_token": csrf_from(client, url)})
    if endpoint in SAME_ANSWER_FORMS and variant == "wrong":
        assert r.status_code == 302
    else:
        assert 400 <= r.status_code < 500, f"{endpoint} answered {r.status_code} to {variant} input"
    assert _row_count() == before


@pytest.mark.parametrize("rule,endpoint,arguments", POST_RULES)
def test_form_without_csrf_token_is_refused_and_writes_nothing(client, login_as, world, db, rule, endpoint,
                                                               arguments):
    _log_in_for(endpoint, client, login_as, world)
    before = _row_count()
    r = client.post(fill(rule, arguments, world["values"]), data={"anything": "x"})
    assert r.status_code == 400
    assert "did not come from this site" in r.get_data(as_text=True)
    assert _row_count() == before


def test_nul_bytes_in_a_form_are_refused(client, db):
    r = client.post("/login", data={"login": "a\x00b", "password": "x", "csrf_token": csrf_from(client, "/login")})
    assert r.status_code == 400


def test_oversized_request_body_is_refused_with_413(client, db):
    r = client.post("/login", data={"login": "x" * (3 * 1024 * 1024)})
    assert r.status_code == 413


# --- ids past every integer range -------------------------------------------------------------------------

# Past PostgreSQL's integer (the primary keys), past a 64-bit integer (SQLite's and bigint's), and far past.
HUGE_IDS = ("2147483648", "9223372036854775808", "9" * 30)
# Query-string parameters that name a record somewhere (filters, preselected choices, pagination).
ID_PARAMETERS = ("official", "body", "body_id", "topic", "visiting", "region", "session", "slot", "entity_id",
                 "before", "user", "appointment")
# Who asks: a visitor, the world's citizen (their own records), another citizen, and staff of body A in
# every role.
ASKERS = ["visitor", "owner", Role.CITIZEN, Role.OFFICIAL, Role.ASSISTANT, Role.AGENCY_REP, Role.LEGAL_CONSULTANT,
          Role.STUDIO_OPERATOR, Role.MONITOR, Role.ADMIN]


def _id_arguments(rule) -> list[str]:
    return sorted(name for name, converter in rule._converters.items()
                  if type(converter).__name__ == "IntegerConverter" or name.endswith("_id"))


def _sign_in(client, make_user, world, asker):
    from reception.directory.models import Body

    if asker == "owner":
        login(client, world["citizen"])
    elif asker != "visitor":
        body = _db.session.get(Body, world["values"]["body_id"])
        user = make_user(asker, body=None if asker in (Role.CITIZEN, Role.ADMIN, Role.MONITOR) else body)
        _db.session.commit()
        login(client, user)


def _ask(client, method, url, token):
    return client.get(url) if method == "GET" else client.post(url, data={"csrf_token": token})


class _NotedArgs(ImmutableMultiDict):
    """The request's query string (and form), noting in ``noted`` every name a page looks at; a page that walks
    them all, or asks whether there are any, notes all of :data:`ID_PARAMETERS`."""

    noted: ClassVar[set] = set()

    def _note(self, *names) -> None:
        self.noted.update(names)

    def __getitem__(self, key):
        self._note(key)
        return super().__getitem__(key)

    def get(self, key, default=None, type=None):
        self._note(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):
        self._note(key)
        return super().getlist(key, type)

    def __contains__(self, key):
        self._note(key)
        return super().__contains__(key)

    def __iter__(self):
        self._note(*ID_PARAMETERS)
        return super().__iter__()

    def __len__(self):  # whether there are any: that depends on each of them
        self._note(*ID_PARAMETERS)
        return super().__len__()

    def keys(self):
        self._note(*ID_PARAMETERS)
        return super().keys()

    def items(self, multi=False):
        self._note(*ID_PARAMETERS)
        return super().items(multi)

    def lists(self):
        self._note(*ID_PARAMETERS)
        return super().lists()

    def listvalues(self):
        self._note(*ID_PARAMETERS)
        return super().listvalues()

    def values(self):
        if sys._getframe(1).f_code is not refuse_nul_bytes.__code__:  # it looks for a NUL only, on every page
            self._note(*ID_PARAMETERS)
        return super().values()

    def to_dict(self, flat=True):
        self._note(*ID_PARAMETERS)
        return super().to_dict(flat)


@pytest.fixture
def noted_args(app, monkeypatch):
    """The names of the query parameters the pages looked at since the set was last cleared."""
    monkeypatch.setattr(app.request_class, "parameter_storage_class", _NotedArgs)
    monkeypatch.setattr(_NotedArgs, "noted", set())
    return _NotedArgs.noted


def _get_each(client, url: str, queries, failures: list) -> None:
    for query in queries:
        status = client.get(f"{url}?{query}").status_code
        if status >= 500:
            failures.append(f"GET {url}?{query}: {status}")


@pytest.mark.parametrize("asker", ASKERS, ids=str)
def test_ids_past_the_integer_range_are_not_found_never_a_500(client, make_user, world, db, asker, noted_args):
    """Every route with an id in its path, every id swapped for one no row can have: 404 (or 403 before any
    lookup, 400/422 for a bad filter), never a 500; and every page given such ids in its query string, all at
    once and each alone.

    A parameter goes alone only to a page that looked at it, given none or all of them: given one alone, a page
    runs as it does given none until it first looks at that one, so a page that never does answers as it
    answered none."""
    _sign_in(client, make_user, world, asker)
    token = csrf_from(client, "/")
    failures = []
    for rule in app_rules():
        methods = [m for m in ("GET", "POST") if m in rule.methods]
        if rule.endpoint in ("accounts.logout", "static"):
            continue  # logging out would end the sign-in this sweep runs under
        for name in _id_arguments(rule):
            for huge in HUGE_IDS:
                url = fill(rule.rule, rule.arguments, {**world["values"], name: huge})
                for method in methods:
                    status = _ask(client, method, url, token).status_code
                    if status >= 500 or status == 200:
                        failures.append(f"{method} {url}: {status}")
        if "GET" in rule.methods:
            url = fill(rule.rule, rule.arguments, world["values"])
            all_at_once = ["&".join(f"{p}={huge}" for p in ID_PARAMETERS) for huge in HUGE_IDS[:2]]
            if asker not in ("owner", Role.ADMIN):
                _get_each(client, url, all_at_once, failures)
                continue
            # Between them, they open every page: each parameter alone too, where the page looks at it.
            noted_args.clear()
            _get_each(client, url, ["", *all_at_once], failures)
            _get_each(client, url, [f"{p}={huge}" for huge in HUGE_IDS[:2] for p in ID_PARAMETERS if p in noted_args],
                      failures)
    assert not failures, "\n".join(failures)
