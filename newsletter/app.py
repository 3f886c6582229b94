"""The web application: sign-up, confirmation and unsubscribe pages.

Every write goes to the writer process (writer.py), so a response that says
"done" (a 303, a 200) is only sent once the change is on disk. GET requests
never change anything: mail scanners open links, they must not confirm or
unsubscribe anyone.
"""

import dataclasses
import logging
import math
import threading
import time

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from newsletter.abuse import (
    client_ip,
    honeypot_filled,
    ip_hmac,
    origin_allowed,
    rate_limit_key,
    sent_too_fast,
    untrusted_forwarding,
)
from newsletter.config import origin_of
from newsletter.consent import (
    CONSENT_TEXT,
    DEFAULT_LANGUAGE,
    HOME_PAGES,
    PRIVACY_PAGES,
    THANK_YOU_PAGES,
    form_language,
)
from newsletter.forms import read_signup
from newsletter.mail import mail_domain
from newsletter.texts import ERRORS, TEXTS
from newsletter.tokens import InvalidToken, Tokens
from newsletter.writer import WriterUnavailable

log = logging.getLogger(__name__)

# The order of the fields on the form, for the error summary, and their ids.
FIELD_IDS = {"form": "nl-email", "name": "nl-name", "email": "nl-email", "consent": "nl-consent"}
FIELD_ORDER = ("form", "name", "email", "territory", "consent")
# Between the parts of a page rendered for a shell (templates/in_shell.html):
# a comment no escaped text can contain.
SHELL_PART = "<!-- newsletter:part -->"
# At most one warning about X-Forwarded-For from an untrusted peer this often, per process.
FORWARDING_WARNING_SECONDS = 600


def create_app(config, writer, limiter, heartbeats=None, watched=(), shells=None):
    """The Flask application.

    `writer` is a writer.WriterClient, `limiter` an abuse.RateLimiter,
    `heartbeats` the health.Heartbeats of the `watched` processes, for /healthz,
    `shells` the site's page shells by language (shells.py), or None for plain pages.
    """
    app = Flask(__name__)
    app.config.update(
        MAX_CONTENT_LENGTH=config.max_body,
        MAX_FORM_MEMORY_SIZE=config.max_body,
        MAX_FORM_PARTS=50,
    )
    tokens = Tokens(config.secret, config.confirm_max_age, config.secret_fallbacks)
    territory_ids = tuple(territory.id for territory in config.territories)
    # The error summary links a group of checkboxes to its first box.
    first_box = f"nl-territory-{territory_ids[0]}" if territory_ids else FIELD_IDS["email"]
    field_ids = {**FIELD_IDS, "territory": first_box}
    domain = mail_domain(config.mail_from)
    site_origin = origin_of(config.site_url)
    trusted_origins = set(config.allowed_origins)
    if config.public_url:
        trusted_origins.add(origin_of(config.public_url))
    security_headers = [
        (
            "Content-Security-Policy",
            f"default-src 'none'; style-src {site_origin}; img-src {site_origin};"
            # The sign-up form redirects to the site's thank-you page.
            f" form-action 'self' {site_origin}; frame-ancestors 'none'; base-uri 'none'",
        ),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        # Pages carry tokens in their address: never leak it to the stylesheet's host.
        ("Referrer-Policy", "no-referrer"),
        ("Cache-Control", "no-store"),
    ]

    # -- helpers -------------------------------------------------------------

    def wants_json():
        # Most requests are plain form posts: skip parsing Accept for them.
        if "json" not in request.headers.get("Accept", ""):
            return False
        best = request.accept_mimetypes.best_match(["text/html", "application/json"])
        return best == "application/json"

    def public_base():
        return config.public_url or f"{request.scheme}://{request.host}{request.script_root}"

    def visitor_ip():
        return client_ip(
            request.remote_addr or "",
            request.headers.get("X-Forwarded-For"),
            config.trusted_proxies,
        )

    forwarding_warning = _Occasionally(FORWARDING_WARNING_SECONDS)

    @app.before_request
    def check_forwarding():
        # No address in the message: the service logs none (see the privacy notice).
        forwarded = request.headers.get("X-Forwarded-For")
        if untrusted_forwarding(request.remote_addr or "", forwarded, config.trusted_proxies):
            skipped = forwarding_warning.due()
            if skipped is not None:
                log.warning(
                    "X-Forwarded-For ignored: a request came with it from a peer not listed in"
                    " NEWSLETTER_TRUSTED_PROXIES; behind a reverse proxy, list the proxy's"
                    " address there, or every visitor shares its rate limit%s",
                    f" ({skipped} more such requests since the last warning)" if skipped else "",
                )

    def form_lang():
        try:
            return form_language(request.form.get("lang"))
        except RequestEntityTooLarge:
            return DEFAULT_LANGUAGE

    def render(template, lang, status, **context):
        """A page of the service: inside the site's shell for `lang` if there is one."""
        context.update(lang=lang, t=TEXTS[lang], site_url=config.site_url)
        if not shells:
            body = render_template(template, layout="layout.html", **context)
        else:
            # The page's title, head and main, each escaped by the templates.
            parts = render_template(template, layout="in_shell.html", **context)
            body = shells[lang].fill(*(part.strip() for part in parts.split(SHELL_PART, 2)))
        return Response(body, status=status, mimetype="text/html")

    def page(template, lang, status=200, **context):
        context.setdefault("home", HOME_PAGES[lang])
        return render(template, lang, status, **context)

    def error_page(status, lang=DEFAULT_LANGUAGE):
        if wants_json():
            return jsonify(ok=False, errors={"form": ERRORS[status][lang][1]}), status
        other = "en" if lang == "it" else "it"
        return render(
            "error.html",
            lang,
            status,
            other_lang=other,
            title=ERRORS[status][lang][0],
            body=ERRORS[status][lang][1],
            other_title=ERRORS[status][other][0],
            other_body=ERRORS[status][other][1],
            home=HOME_PAGES[lang],
            other_home=HOME_PAGES[other],
            other_back=TEXTS[other]["back_to_site"],
        )

    def accepted(lang):
        """The one answer to every well-formed sign-up, stored or not: nothing leaks."""
        if wants_json():
            return jsonify(ok=True, message=TEXTS[lang]["signup_ok"])
        # Only ever one of the configured pages: no open redirect.
        return Response(status=303, headers={"Location": config.site_page(THANK_YOU_PAGES[lang])})

    def link_problem(error, lang):
        text = TEXTS[lang]
        if error.expired:
            body = text["expired_body"].format(days=round(config.confirm_max_age / 86400))
            return page("message.html", lang, 410, title=text["expired_title"], body=body)
        return invalid_link(lang)

    # -- sign-up ---------------------------------------------------------------

    @app.post("/subscribe")
    def subscribe():
        if not origin_allowed(
            request.headers.get("Origin"),
            request.headers.get("Sec-Fetch-Site"),
            trusted_origins,
            own_origin(request.environ),
        ):
            return error_page(403, form_lang())
        ip = visitor_ip()
        wait = limiter.hit(rate_limit_key(ip))
        if wait:
            response = error_page(429, form_lang())
            response = app.make_response(response)
            response.headers["Retry-After"] = str(max(1, math.ceil(wait)))
            return response
        form = request.form  # 413 if too large
        lang = form_language(form.get("lang"))
        if honeypot_filled(form):
            log.info("sign-up discarded: honeypot")
            return accepted(lang)
        result = read_signup(form, territory_ids)
        if result.errors:
            return invalid_signup(result, lang)
        now_ms = time.time() * 1000
        if sent_too_fast(form, now_ms, config.min_fill_seconds):
            return too_fast(result, lang, int(now_ms))
        try:
            writer.submit(
                "signup",
                signup=dataclasses.asdict(result.signup),
                ip_hmac=ip_hmac(config.secret, ip),
                base_url=public_base(),
                mail_domain=domain,
                resend_interval=config.resend_interval,
            )
        except WriterUnavailable:
            log.exception("sign-up not stored")
            response = app.make_response(error_page(503, lang))
            response.headers["Retry-After"] = "30"
            return response
        return accepted(lang)

    def invalid_signup(result, lang):
        text = TEXTS[lang]
        messages = {field: text[key] for field, key in result.errors.items()}
        if wants_json():
            return jsonify(ok=False, errors=messages), 422
        return signup_form(
            result,
            lang,
            title=text["signup_title"],
            page_title=f"{text['error_summary_title']} – {text['signup_title']}",
            errors=[(field, messages[field]) for field in FIELD_ORDER if field in messages],
            messages=messages,
        )

    def too_fast(result, lang, now_ms):
        """The time trap caught a form that may be a person's (autofill is quick): say so.

        Nothing is stored. The form comes back filled in, stamped with the
        service's own time, so that sending it again after a moment passes,
        whatever the visitor's clock says.
        """
        text = TEXTS[lang]
        if wants_json():
            retry = {"ts": str(now_ms), "after": config.min_fill_seconds}
            return jsonify(ok=False, errors={"form": text["too_fast_retry"]}, retry=retry), 422
        return signup_form(
            result,
            lang,
            title=text["too_fast_title"],
            notice=text["too_fast_body"],
            consent_given=True,
            ts=str(now_ms),
        )

    def signup_form(result, lang, **context):
        """The form again, as it was sent: for errors, or after the time trap."""
        return page(
            "signup_form.html",
            lang,
            422,
            field_ids=field_ids,
            values=result.values,
            territories=[(t.id, *t.name(lang)) for t in config.territories],
            action=request.script_root + "/subscribe",
            consent_text=CONSENT_TEXT[lang],
            privacy_url=config.site_page(PRIVACY_PAGES[lang]),
            page_url=config.site_page(result.values["page"]),
            **context,
        )

    # -- mailed links: confirmation and unsubscribing ------------------------------

    def link_owner(read, token):
        """((address, lang), None) for a good link, else (None, the page saying what is wrong)."""
        try:
            return read(token), None
        except InvalidToken as error:
            return None, link_problem(error, tokens.guess_language(token))

    def button_page(kind, read, token):
        """What opening a mailed link shows: a page with a button, nothing changed."""
        owner, problem = link_owner(read, token)
        if problem:
            return problem
        address, lang = owner
        text = TEXTS[lang]
        if kind == "confirm":
            # A link already used says so, rather than asking to confirm again.
            try:
                status = writer.submit("status", email=address)
            except WriterUnavailable:
                log.exception("status not read")  # the button's POST will say more
                status = "pending"
            if status == "confirmed":
                return already_confirmed(address, lang)
            if status == "gone":
                return invalid_link(lang)
        return page(
            "confirm.html",
            lang,
            title=text[f"{kind}_title"],
            intro=text[f"{kind}_intro"].format(email=address),
            button=text[f"{kind}_button"],
            action=request.path,
        )

    @app.get("/confirm/<token>")
    def confirm_page(token):
        return button_page("confirm", tokens.read_confirm, token)

    @app.post("/confirm/<token>")
    def confirm(token):
        owner, problem = link_owner(tokens.read_confirm, token)
        if problem:
            return problem
        address, lang = owner
        try:
            outcome = writer.submit(
                "confirm", email=address, ip_hmac=ip_hmac(config.secret, visitor_ip())
            )
        except WriterUnavailable:
            log.exception("confirmation not stored")
            return error_page(503, lang)
        text = TEXTS[lang]
        if outcome == "gone":
            return invalid_link(lang)
        if outcome == "already":
            return already_confirmed(address, lang)
        body = text["confirmed_body"].format(email=address)
        return page("message.html", lang, title=text["confirmed_title"], body=body)

    def already_confirmed(address, lang):
        text = TEXTS[lang]
        body = text["already_body"].format(email=address)
        return page("message.html", lang, title=text["already_title"], body=body)

    def invalid_link(lang):
        text = TEXTS[lang]
        return page(
            "message.html", lang, 404, title=text["invalid_title"], body=text["invalid_body"]
        )

    @app.get("/unsubscribe/<token>")
    def unsubscribe_page(token):
        return button_page("unsubscribe", tokens.read_unsubscribe, token)

    @app.post("/unsubscribe/<token>")
    def unsubscribe(token):
        # No origin check and no rate limit: RFC 8058 one-click requests come
        # from mail providers' servers, many people at a time, and the token
        # alone authorizes this harmless, idempotent change.
        owner, problem = link_owner(tokens.read_unsubscribe, token)
        if problem:
            return problem
        address, lang = owner
        one_click = request.form.get("List-Unsubscribe") == "One-Click"
        try:
            writer.submit("unsubscribe", email=address, how="one-click" if one_click else "page")
        except WriterUnavailable:
            log.exception("unsubscription not stored")
            return error_page(503, lang)
        text = TEXTS[lang]
        body = text["unsubscribed_body"].format(email=address)
        return page("message.html", lang, title=text["unsubscribed_title"], body=body)

    # -- the rest ------------------------------------------------------------------

    @app.get("/healthz")
    def health():
        """200 while the writer and the outbox worker go round their loops, else 503."""
        problems = heartbeats.problems(watched, config.stuck_seconds) if heartbeats else []
        if problems:
            return Response("".join(f"{line}\n" for line in problems), 503, mimetype="text/plain")
        return Response("ok\n", mimetype="text/plain")

    @app.errorhandler(HTTPException)
    def http_error(error):
        status = error.code if error.code in ERRORS else 400
        response = app.make_response(error_page(status, DEFAULT_LANGUAGE))
        for name, value in error.get_headers():
            if name.lower() != "content-type":  # e.g. Allow, for 405
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def unexpected(error):
        log.exception("unexpected error")
        return error_page(500, DEFAULT_LANGUAGE)

    app.wsgi_app = _with_headers(app.wsgi_app, security_headers, trusted_origins)
    return app


class _Occasionally:
    """Says when something is due again: at most once every `seconds`."""

    def __init__(self, seconds):
        self._seconds = seconds
        self._next = 0.0
        self._skipped = 0
        self._lock = threading.Lock()

    def due(self):
        """How many times it was skipped since it last was due, or None if not due."""
        now = time.monotonic()
        with self._lock:
            if now < self._next:
                self._skipped += 1
                return None
            self._next = now + self._seconds
            skipped, self._skipped = self._skipped, 0
            return skipped


def own_origin(environ):
    """This service's origin as the browser sees it, from the request."""
    return f"{environ['wsgi.url_scheme']}://{environ.get('HTTP_HOST', '')}".lower()


def _with_headers(wsgi_app, security_headers, trusted_origins):
    """Adds the security headers to every response, and CORS headers where due.

    Done at the WSGI level, where it costs a list extension per response.
    CORS headers go only to the sign-up endpoint and only for trusted
    origins, so the site's script can read the JSON answer and nobody else.
    """

    def application(environ, start_response):
        extra = security_headers
        if environ.get("PATH_INFO") == "/subscribe":
            extra = [*security_headers, ("Vary", "Origin")]
            origin = environ.get("HTTP_ORIGIN", "").lower()
            if origin and (origin in trusted_origins or origin == own_origin(environ)):
                extra.append(("Access-Control-Allow-Origin", environ["HTTP_ORIGIN"]))
                if environ.get("REQUEST_METHOD") == "OPTIONS":
                    extra += [
                        ("Access-Control-Allow-Methods", "POST"),
                        ("Access-Control-Allow-Headers", "Accept, Content-Type"),
                        ("Access-Control-Max-Age", "600"),
                    ]

        def start(status, headers, exc_info=None):
            headers.extend(extra)
            if exc_info is None:
                return start_response(status, headers)
            return start_response(status, headers, exc_info)

        return wsgi_app(environ, start)

    return application
