"""Video receptions: shared test helpers."""
from __future__ import annotations

import re

# A JWT is three base64url parts; its header and its claims are JSON objects, so both start "eyJ".
# Looking for that shape (not for "eyJ" or "jwt" anywhere) keeps random CSRF tokens and talon
# addresses, which may hold those letters by chance, from failing a test one run in thousands.
_JWT = re.compile(r"eyJ[\w-]*\.eyJ[\w-]*\.")


def carries_a_token(page: str) -> bool:
    """Whether a page or message holds a Jitsi token, as a JWT or as a signed link's parameter."""
    return bool(_JWT.search(page)) or "jwt=" in page.lower()
