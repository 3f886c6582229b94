"""Every page the service shows is valid HTML (W3C Nu validator), in both languages."""

import subprocess
import sys
import time

from nl_support import ROOT, parse_page

from htmlpage import validate


def collect_pages(service, smtp_sink):
    pages = {}
    for lang in ("it", "en"):
        address = f"pages.{lang}@example.org"
        pages[f"invalid-{lang}"] = service.sign_up(
            "nope", lang=lang, consent=None, name='"Quoted" <name> & more', page="/x/"
        )
        pages[f"outdated-{lang}"] = service.sign_up("a@example.org", lang=lang, page="x")
        pages[f"unknown-province-{lang}"] = service.sign_up(
            "a@example.org", lang=lang, territory=["lodi", "atlantide"]
        )
        pages[f"too-fast-{lang}"] = service.sign_up(
            "fast@example.org",
            lang=lang,
            name='"Quoted" <name> & more',
            ts=str(int(time.time() * 1000)),
        )
        service.sign_up(address, lang=lang)
        mail = smtp_sink.wait_for(address)[0]
        pages[f"confirm-{lang}"] = service.get(mail.link("confirm"))
        pages[f"confirmed-{lang}"] = service.post(mail.link("confirm"))
        pages[f"already-{lang}"] = service.get(mail.link("confirm"))
        pages[f"unsubscribe-{lang}"] = service.get(mail.link("unsubscribe"))
        pages[f"unsubscribed-{lang}"] = service.post(mail.link("unsubscribe"))
        pages[f"invalid-link-{lang}"] = service.post(mail.link("confirm"))
    pages["forbidden"] = service.sign_up(
        "a@example.org", headers={"Origin": "https://evil.example"}
    )
    pages["not-found"] = service.get("/missing")
    pages["not-allowed"] = service.get("/subscribe")
    pages["too-large"] = service.sign_up("a@example.org", name="x" * 5000)
    return pages


def test_pages_are_valid_html(service, smtp_sink, tmp_path):
    pages = collect_pages(service, smtp_sink)
    statuses = {name: reply.status for name, reply in pages.items()}
    assert statuses == {
        **{f"{kind}-{lang}": status for lang in ("it", "en") for kind, status in (
            ("invalid", 422), ("outdated", 422), ("unknown-province", 422), ("too-fast", 422),
            ("confirm", 200),
            ("confirmed", 200), ("already", 200),
            ("unsubscribe", 200), ("unsubscribed", 200), ("invalid-link", 404),
        )},
        "forbidden": 403, "not-found": 404, "not-allowed": 405, "too-large": 413,
    }  # fmt: skip
    for name, reply in pages.items():
        page = parse_page(reply.body)
        assert len(page.h1) == 1, name
        assert page.lang == ("en" if name.endswith("-en") else "it"), name
        (tmp_path / f"{name}.html").write_text(reply.body, encoding="utf-8")

    returncode, errors = validate(tmp_path)
    assert errors == []
    assert returncode == 0


def test_consent_module_is_light_for_the_site_build():
    # The site's templates import the consent text; that must not drag in Flask.
    code = (
        "import sys; import newsletter.consent as c; "
        "assert 'flask' not in sys.modules and 'waitress' not in sys.modules, sorted(sys.modules); "
        "print(c.CONSENT_TEXT['it'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "informativa sulla privacy" in result.stdout
