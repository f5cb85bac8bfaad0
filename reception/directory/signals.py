"""What the directory asks the areas built on it (blinker signals): officials are linked to staff
accounts, which reception.accounts keeps. Receivers are connected at application setup."""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

official_accounts = _signals.signal("official-accounts", doc="""
The staff accounts that may be linked to an official: accounts with the official role not linked to
another official yet (the one linked now stays listed), active ones only (but the linked one).

*sender*: the bodies the acting user manages (a frozenset of body ids, or None for every body);
*current_user_id*: the account linked now, if any. Each receiver returns ``[(user_id, label), ...]``
in the order to show.
""")

account_to_link = _signals.signal("account-to-link", doc="""
An account is about to be linked to an official of ``body_id``. A receiver raises Invalid (field
``user_id``) when it may not be: no such account, not an official's account, another body's.

*sender*: the account's user id; *body_id*: the official's body.
""")
