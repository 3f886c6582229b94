"""Defences against bots, forged requests and floods.

None of these needs a cookie or JavaScript: the site sets no cookies, and the
form must work without scripts.
"""

import functools
import hashlib
import hmac
import ipaddress
import mmap
import re
import threading
import time

TIMESTAMP = re.compile(r"[0-9]{1,16}")
# Sec-Fetch-Site values a browser sends when the form is on our own site, or
# when the person typed the address themselves.
FRIENDLY_FETCH_SITES = {"same-origin", "same-site", "none"}


def origin_allowed(origin, fetch_site, allowed, own_origin):
    """Is a POST coming from a page we trust: the site's, or this service's own?

    Browsers send `Origin` with every POST and scripts cannot forge it, so
    when present it decides. Some old browsers omit it on plain form posts;
    those are accepted only if `Sec-Fetch-Site` does not say the page was on
    another site.
    """
    if origin is not None:
        origin = origin.strip().lower()
        return origin in allowed or origin == own_origin
    return fetch_site is None or fetch_site.strip().lower() in FRIENDLY_FETCH_SITES


# The honeypot: a field people never see, so only a bot fills it. Its name
# means nothing to autofill (browsers and password managers fill fields called
# name, email, url, website…: a person's form would look like a bot's);
# `website`, its former name, may still come from pages cached before the change.
HONEYPOTS = ("nl_extra", "website")


def honeypot_filled(form):
    return any(form.get(field, "").strip() for field in HONEYPOTS)


def sent_too_fast(form, now_ms, min_fill_seconds):
    """Was the form sent sooner after it was shown than a person could fill it?

    `ts` is set by the site's script when the form is shown (Unix time in
    milliseconds), or by the service's own page; without JavaScript it is
    absent or empty and not checked. A value that is not a number, or lies in
    the future (a bot's guess, or a visitor's clock running ahead), counts as
    too fast too. People are told, and may send the form again (autofill
    fills a form in no time); bots rarely read the answer.
    """
    shown = form.get("ts", "")
    if shown == "":
        return False
    if not TIMESTAMP.fullmatch(shown):
        return True
    return now_ms - int(shown) < min_fill_seconds * 1000


def client_ip(remote_addr, forwarded_for, trusted_proxies):
    """The address of the person, not of our reverse proxy.

    `X-Forwarded-For` is only believed when the connection comes from a
    configured proxy; anyone else could write anything in it. Proxies append,
    so the list is read from the right, skipping our own proxies; the first
    address that is not one of them is the client.
    """
    if not forwarded_for or not trusted_proxies or not _in_networks(remote_addr, trusted_proxies):
        return remote_addr
    for hop in reversed(forwarded_for.split(",")):
        hop = hop.strip()
        try:
            address = ipaddress.ip_address(hop)
        except ValueError:
            return remote_addr
        if not any(address in network for network in trusted_proxies):
            return hop
    return remote_addr


def untrusted_forwarding(remote_addr, forwarded_for, trusted_proxies):
    """Does a request carry X-Forwarded-For from a peer that is not one of our proxies?

    The header is then ignored (see client_ip). Behind a reverse proxy that
    is missing from NEWSLETTER_TRUSTED_PROXIES, every visitor would share the
    proxy's address, and its rate limit: worth a warning.
    """
    return bool(forwarded_for) and not _in_networks(remote_addr, trusted_proxies)


def ip_hmac(secret, ip):
    """What a consent record keeps of an IP address: a keyed hash, never the address.

    It can show that two records came from the same address if the address
    is known, and nothing else; without the secret it cannot be reversed.
    """
    return hmac.new(_ip_key(secret), ip.encode(), hashlib.sha256).hexdigest()


@functools.cache
def _ip_key(secret):
    # A key of its own, derived from the secret, so that this use cannot be
    # confused with the token signatures made with the same secret.
    return hmac.new(secret.encode(), b"newsletter.ip-hmac.v1", hashlib.sha256).digest()


def rate_limit_key(ip):
    """IPv6 clients get a whole /64 each, as one household or server usually does."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


class RateLimiter:
    """At most `limit` requests per `period` seconds for each key, with bursts allowed.

    The generic cell rate algorithm keeps one number per key: the time at
    which the key's allowance is full again. The numbers live in a shared,
    fixed-size memory map, so the limiter never grows, and processes forked
    by `serve --processes` share it. Keys are hashed with a secret into the
    slots: two addresses may share a slot (and a limit) by chance, but
    nobody can choose to collide with someone else.
    """

    SLOTS = 1 << 18  # 2 MiB of doubles

    def __init__(self, limit, period, secret, slots=SLOTS):
        self._interval = period / limit
        self._tolerance = period - self._interval
        self._key = hashlib.sha256(b"newsletter.rate-limit.v1" + secret.encode()).digest()
        self._slots = slots
        self._map = mmap.mmap(-1, slots * 8)  # anonymous and shared with forked children
        self._times = memoryview(self._map).cast("d")
        self._lock = threading.Lock()

    def hit(self, key, now=None):
        """Count one request; return 0 if allowed, else the seconds to wait."""
        now = time.monotonic() if now is None else now
        digest = hashlib.blake2b(key.encode(), key=self._key, digest_size=8).digest()
        slot = int.from_bytes(digest, "little") % self._slots
        # The lock makes threads exact; between processes a race can only let
        # one extra request through, which is acceptable for a rate limit.
        with self._lock:
            full_at = max(self._times[slot], now)
            if full_at - now > self._tolerance:
                return full_at - now - self._tolerance
            self._times[slot] = full_at + self._interval
            return 0.0


def _in_networks(ip, networks):
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address in network for network in networks)
