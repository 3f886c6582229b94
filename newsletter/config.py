"""Settings, read once from environment variables.

Every setting has a default that lets a newcomer run the service on a laptop
(development mode). Production mode refuses to start when a setting that
keeps people's data safe is missing, with one line saying which.
"""

import dataclasses
import datetime
import ipaddress
import os
import re
from urllib.parse import urlsplit

from newsletter import territories as territory_list

DEVELOPMENT = "development"
PRODUCTION = "production"

DEFAULT_DB = os.path.join("newsletter-data", "newsletter.sqlite3")
DEFAULT_SITE_URL = "http://127.0.0.1:8000"
DEFAULT_MAIL_FROM = "OpenSource14 <newsletter@localhost>"
MIN_SECRET_LENGTH = 32


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line for the operator."""


@dataclasses.dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    user: str | None
    password: str | None
    security: str  # "none", "starttls" or "ssl"
    timeout: float


@dataclasses.dataclass(frozen=True)
class Config:
    mode: str
    db_path: str
    secret: str | None
    secret_fallbacks: tuple  # earlier secrets whose links still work
    site_url: str
    public_url: str | None
    allowed_origins: frozenset
    trusted_proxies: tuple
    smtp: SmtpSettings | None
    mail_from: str
    project_end: datetime.date | None
    rate_limit: int
    rate_period: float
    min_fill_seconds: float
    confirm_max_age: float
    resend_interval: float
    retry_base: float
    retry_cap: float
    retry_give_up: float
    poll_seconds: float
    max_body: int
    threads: int
    processes: int
    channel_timeout: int
    connection_limit: int
    stuck_seconds: float
    # The built site's folder or address, where `serve` reads the page shells (shells.py).
    page_shells: str | None = None
    # The provinces a sign-up may choose (territories.Territory), in the site's order.
    territories: tuple = ()

    @property
    def production(self):
        return self.mode == PRODUCTION

    @property
    def mail_folder(self):
        """Where the development mail sink writes its .eml files: next to the database."""
        return os.path.join(os.path.dirname(os.path.abspath(self.db_path)), "mail")

    def site_page(self, path):
        """The absolute address of a page of the static site."""
        return self.site_url + path

    def require_secret(self):
        if not self.secret:
            raise ConfigError("NEWSLETTER_SECRET is not set")

    def check_can_send_mail(self):
        """Production must not quietly queue mail that nothing will ever send."""
        if self.production and self.smtp is None:
            raise ConfigError("SMTP_HOST is required in production mode")


def from_env(env=None):
    """Build the configuration from `env` (default: os.environ), or raise ConfigError."""
    env = os.environ if env is None else env

    def get(name):
        value = env.get(name, "").strip()
        return value or None

    mode = (get("NEWSLETTER_MODE") or DEVELOPMENT).lower()
    if mode not in (DEVELOPMENT, PRODUCTION):
        raise ConfigError(f"NEWSLETTER_MODE must be 'development' or 'production', not {mode!r}")
    production = mode == PRODUCTION

    secret = get("NEWSLETTER_SECRET")
    if production:
        if secret is None:
            raise ConfigError(
                "NEWSLETTER_SECRET must be set in production mode (a long random string)"
            )
        if len(secret) < MIN_SECRET_LENGTH:
            raise ConfigError(
                f"NEWSLETTER_SECRET is too short: use at least {MIN_SECRET_LENGTH} random characters"
            )

    # Links mailed before the secret changed stay valid while their secret is here.
    fallbacks = tuple(_items(get("NEWSLETTER_SECRET_FALLBACKS") or ""))
    if production and any(len(item) < MIN_SECRET_LENGTH for item in fallbacks):
        raise ConfigError(
            f"NEWSLETTER_SECRET_FALLBACKS: every secret needs at least {MIN_SECRET_LENGTH} characters"
        )

    site_url = get("NEWSLETTER_SITE_URL")
    if site_url is None:
        if production:
            raise ConfigError("NEWSLETTER_SITE_URL must be set in production mode")
        site_url = DEFAULT_SITE_URL
    site_url = _base_url("NEWSLETTER_SITE_URL", site_url)

    # Mail links must never take their host from a request in production: a
    # forged Host header would put someone else's address in our mails.
    public_url = get("NEWSLETTER_PUBLIC_URL")
    if public_url is not None:
        public_url = _base_url("NEWSLETTER_PUBLIC_URL", public_url)
    elif production:
        raise ConfigError(
            "NEWSLETTER_PUBLIC_URL must be set in production mode: the service's address"
            " for links in mails, e.g. https://www.example.org"
        )

    # The form is on the site: posts from anywhere else are refused, so a list
    # without the site's own origin would refuse every sign-up.
    site_origin = origin_of(site_url)
    origins = get("NEWSLETTER_ALLOWED_ORIGINS")
    if origins is None:
        allowed = {site_origin}
    else:
        allowed = {_origin("NEWSLETTER_ALLOWED_ORIGINS", item) for item in _items(origins)}
        if not allowed:
            raise ConfigError(
                f"NEWSLETTER_ALLOWED_ORIGINS lists no origin: leave it unset for {site_origin}"
            )
        if production and site_origin not in allowed:
            raise ConfigError(
                f"NEWSLETTER_ALLOWED_ORIGINS must include the site's origin, {site_origin}"
                " (NEWSLETTER_SITE_URL)"
            )

    proxies = tuple(
        _network("NEWSLETTER_TRUSTED_PROXIES", item)
        for item in _items(get("NEWSLETTER_TRUSTED_PROXIES") or "")
    )

    smtp = None
    if get("SMTP_HOST"):
        port = _integer("SMTP_PORT", get("SMTP_PORT") or "25", 1, 65535)
        security = (get("SMTP_SECURITY") or {465: "ssl", 587: "starttls"}.get(port, "none")).lower()
        if security not in ("none", "starttls", "ssl"):
            raise ConfigError("SMTP_SECURITY must be 'none', 'starttls' or 'ssl'")
        smtp = SmtpSettings(
            host=get("SMTP_HOST"),
            port=port,
            user=get("SMTP_USER"),
            password=env.get("SMTP_PASSWORD") or None,
            security=security,
            timeout=_number("SMTP_TIMEOUT", get("SMTP_TIMEOUT") or "30", 0.1),
        )
        if smtp.user and smtp.password is None:
            raise ConfigError("SMTP_USER is set but SMTP_PASSWORD is not")

    mail_from = get("SMTP_FROM")
    if mail_from is None:
        if production:
            raise ConfigError(
                "SMTP_FROM must be set in production mode, e.g. 'OpenSource14 <newsletter@example.org>'"
            )
        mail_from = DEFAULT_MAIL_FROM
    if "\r" in mail_from or "\n" in mail_from or "@" not in mail_from:
        raise ConfigError(
            "SMTP_FROM must be one address, e.g. 'OpenSource14 <newsletter@example.org>'"
        )

    project_end = get("NEWSLETTER_PROJECT_END")
    if project_end is not None:
        try:
            project_end = datetime.date.fromisoformat(project_end)
        except ValueError:
            raise ConfigError("NEWSLETTER_PROJECT_END must be a date, YYYY-MM-DD") from None

    rate = get("NEWSLETTER_RATE_LIMIT") or "20/600"
    match = re.fullmatch(r"(\d+)\s*/\s*(\d+(?:\.\d+)?)", rate)
    if not match or int(match[1]) < 1 or float(match[2]) <= 0:
        raise ConfigError("NEWSLETTER_RATE_LIMIT must be REQUESTS/SECONDS, e.g. 20/600")

    def seconds(name, default, minimum=0.0):
        return _number(name, get(name) or default, minimum)

    # /healthz reports a process that shows no sign of life for this long. The
    # worker cannot show any while one SMTP exchange is under way, each of
    # whose steps may take SMTP_TIMEOUT.
    stuck_default = max(120.0, 4 * smtp.timeout) if smtp else 120.0

    try:
        territories = territory_list.from_setting(get("NEWSLETTER_TERRITORIES"))
    except territory_list.TerritoryError as error:
        raise ConfigError(str(error)) from None

    return Config(
        mode=mode,
        db_path=get("NEWSLETTER_DB") or DEFAULT_DB,
        secret=secret,
        secret_fallbacks=fallbacks,
        site_url=site_url,
        public_url=public_url,
        allowed_origins=frozenset(allowed),
        trusted_proxies=proxies,
        smtp=smtp,
        mail_from=mail_from,
        project_end=project_end,
        rate_limit=int(match[1]),
        rate_period=float(match[2]),
        min_fill_seconds=seconds("NEWSLETTER_MIN_FILL_SECONDS", "3"),
        confirm_max_age=seconds("NEWSLETTER_CONFIRM_DAYS", "7", 1 / 86400) * 86400,
        resend_interval=seconds("NEWSLETTER_RESEND_SECONDS", "3600"),
        retry_base=seconds("NEWSLETTER_RETRY_BASE", "30", 0.001),
        retry_cap=seconds("NEWSLETTER_RETRY_CAP", "3600", 0.001),
        retry_give_up=seconds("NEWSLETTER_RETRY_GIVE_UP", str(3 * 86400), 0.001),
        poll_seconds=seconds("NEWSLETTER_POLL_SECONDS", "2", 0.01),
        max_body=_integer("NEWSLETTER_MAX_BODY", get("NEWSLETTER_MAX_BODY") or "8192", 1024, 10**7),
        threads=_integer("NEWSLETTER_THREADS", get("NEWSLETTER_THREADS") or "8", 1, 256),
        processes=_integer("NEWSLETTER_PROCESSES", get("NEWSLETTER_PROCESSES") or "1", 1, 64),
        channel_timeout=_integer(
            "NEWSLETTER_CHANNEL_TIMEOUT", get("NEWSLETTER_CHANNEL_TIMEOUT") or "30", 1, 3600
        ),
        connection_limit=_integer(
            "NEWSLETTER_CONNECTION_LIMIT", get("NEWSLETTER_CONNECTION_LIMIT") or "100", 1, 10000
        ),
        stuck_seconds=seconds("NEWSLETTER_STUCK_SECONDS", str(stuck_default), 1.0),
        page_shells=get("NEWSLETTER_PAGE_SHELLS"),
        territories=territories,
    )


def origin_of(url):
    """`scheme://host[:port]` of a URL, lower-cased, default ports dropped."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    if port is None or (scheme, port) in (("http", 80), ("https", 443)):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def _items(value):
    return [item.strip() for item in value.split(",") if item.strip()]


def _base_url(name, value):
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(f"{name} must be an http(s) address such as https://example.org")
    return value.rstrip("/")


def _origin(name, value):
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
        raise ConfigError(f"{name}: {value!r} is not an origin such as https://example.org")
    return origin_of(value)


def _network(name, value):
    try:
        return ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise ConfigError(f"{name}: {value!r} is not an IP address or network") from None


def _number(name, value, minimum):
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"{name} must be a number, not {value!r}") from None
    if not number >= minimum:
        raise ConfigError(f"{name} must be at least {minimum}")
    return number


def _integer(name, value, minimum, maximum):
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {value!r}") from None
    if not minimum <= number <= maximum:
        raise ConfigError(f"{name} must be between {minimum} and {maximum}")
    return number
