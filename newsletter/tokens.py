"""Signed links: one salt per purpose, so a token made for one thing opens nothing else.

Tokens are signed, not encrypted: they carry the address and the language of
the mail they came in, which the holder of the mail knows anyway.

The secret can be changed without breaking the links already mailed: the old
secrets (NEWSLETTER_SECRET_FALLBACKS) still open links, new links are signed
with the current secret alone (itsdangerous key rotation: keys oldest first).
"""

from itsdangerous import BadData, BadSignature, SignatureExpired, URLSafeTimedSerializer

from newsletter.consent import form_language

CONFIRM = "newsletter.confirm.v1"
UNSUBSCRIBE = "newsletter.unsubscribe.v1"


class InvalidToken(Exception):
    """The token is forged, damaged, for another purpose, or (`expired`) too old."""

    def __init__(self, expired=False):
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


class Tokens:
    def __init__(self, secret, confirm_max_age, fallbacks=()):
        keys = [*fallbacks, secret]  # the last one signs, any one verifies
        self._confirm = URLSafeTimedSerializer(keys, salt=CONFIRM)
        self._unsubscribe = URLSafeTimedSerializer(keys, salt=UNSUBSCRIBE)
        self._confirm_max_age = confirm_max_age

    def confirm_token(self, email, lang):
        return self._confirm.dumps({"e": email, "l": lang})

    def unsubscribe_token(self, email, lang):
        return self._unsubscribe.dumps({"e": email, "l": lang})

    def read_confirm(self, token):
        """(email, lang) from a confirmation token that has not expired."""
        return self._read(self._confirm, token, self._confirm_max_age)

    def read_unsubscribe(self, token):
        """(email, lang) from an unsubscribe token. These never expire: leaving must always work."""
        return self._read(self._unsubscribe, token, None)

    def guess_language(self, token):
        """The language an expired or damaged token claims: only to word the error page."""
        try:
            _, data = self._confirm.loads_unsafe(token[:1000])
        except (BadData, ValueError):
            data = None
        return form_language(data.get("l") if isinstance(data, dict) else None)

    @staticmethod
    def _read(serializer, token, max_age):
        if len(token) > 1000:
            raise InvalidToken()
        try:
            data = serializer.loads(token, max_age=max_age)
        except SignatureExpired:
            raise InvalidToken(expired=True) from None
        except BadSignature:
            raise InvalidToken() from None
        if not isinstance(data, dict) or not isinstance(data.get("e"), str):
            raise InvalidToken()
        return data["e"], form_language(data.get("l"))
