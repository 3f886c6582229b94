"""What a page is, whatever its language, and where it lives in each language.

Every page of the site exists in every language (untranslated content is
written as a fallback copy), so a page's alternates are the same page
reference resolved with each language's URL settings. The functions here
read only the rendering context, so templates and the sitemap share them.
"""

import os
from dataclasses import dataclass, field

from pelican.contents import Article
from pelican.paginator import Page as PaginatorPage

from . import routes
from .routes import route_path, save_as_for


@dataclass(frozen=True)
class ContentRef:
    item: object = field(compare=False)


@dataclass(frozen=True)
class RouteRef:
    name: str
    params: tuple = ()
    number: int = 1


@dataclass(frozen=True)
class TermRef:
    kind: str  # "category" or "tag"
    term: object = field(compare=False)
    number: int = 1


def url_setting_key(item):
    """The Pelican setting holding this item's URL pattern."""
    draft = getattr(item, "status", "published") == "draft"
    if isinstance(item, Article):
        return "DRAFT_URL" if draft else "ARTICLE_URL"
    return "DRAFT_PAGE_URL" if draft else "PAGE_URL"


def written_version(group, lang, languages, site_lang):
    """The item a language's build writes for a translation group."""
    if lang in group:
        return group[lang]
    if site_lang in group:
        return group[site_lang]
    for code in languages:
        if code in group:
            return group[code]
    return next(iter(group.values()))


def content_path(item, lang, ctx):
    group = getattr(item, "i18n_group", None) or {item.lang: item}
    version = written_version(group, lang, ctx["LANGUAGES"], ctx["SITE_DEFAULT_LANG"])
    pattern = ctx["I18N_LANG_SETTINGS"][lang][url_setting_key(version)]
    return pattern.format(**version.url_format)


def paginated(path, number, lang, ctx):
    if number <= 1:
        return path
    rules = {"PAGINATION_PATTERNS": ctx["I18N_LANG_SETTINGS"][lang]["PAGINATION_PATTERNS"]}
    return PaginatorPage(save_as_for(path), path, [], number, None, rules).url


def ref_path(ref, lang, ctx):
    """The site-relative URL of ``ref`` in ``lang``, e.g. ``en/news/``."""
    if isinstance(ref, ContentRef):
        return content_path(ref.item, lang, ctx)
    if isinstance(ref, RouteRef):
        path = route_path(
            ref.name, lang, ctx["LANGUAGES"], ctx["SITE_DEFAULT_LANG"], **dict(ref.params)
        )
        return paginated(path, ref.number, lang, ctx)
    slugs = getattr(ref.term, "slugs", {})
    pattern = ctx["I18N_LANG_SETTINGS"][lang][f"{ref.kind.upper()}_URL"]
    path = pattern.format(slug=slugs.get(lang, ref.term.slug))
    return paginated(path, ref.number, lang, ctx)


def identify(ctx):
    """The reference of the page being rendered, from Pelican's context."""
    if ctx.get("page_ref") is not None:
        return ctx["page_ref"]
    articles_page = ctx.get("articles_page")
    number = articles_page.number if articles_page is not None else 1
    item = ctx.get("article") or ctx.get("page")
    if item is not None:
        return ContentRef(item)
    for kind in ("category", "tag"):
        if ctx.get(kind) is not None:
            return TermRef(kind, ctx[kind], number)
    page_name = ctx.get("page_name")
    for template in ctx["DIRECT_TEMPLATES"]:
        save_as = ctx.get(f"{template.upper()}_SAVE_AS")
        if save_as and os.path.splitext(save_as)[0] == page_name:
            return RouteRef(template, (), number)
    raise LookupError(f"cannot tell which page {ctx.get('output_file')!r} is")


def absolute(path, ctx):
    return f"{ctx['SITEURL']}/{path}"


def alternates(ctx):
    """[(lang, url)] of the page being rendered, in the order of LANGUAGES."""
    ref = identify(ctx)
    return [(lang, absolute(ref_path(ref, lang, ctx), ctx)) for lang in ctx["LANGUAGES"]]


def is_fallback(ctx):
    """True when this page shows content written in another language."""
    ref = identify(ctx)
    return isinstance(ref, ContentRef) and ref.item.lang != ctx["DEFAULT_LANG"]


def canonical(ctx):
    """Fallback copies point to their original; every other page to itself."""
    ref = identify(ctx)
    lang = ref.item.lang if isinstance(ref, ContentRef) else ctx["DEFAULT_LANG"]
    if lang not in ctx["LANGUAGES"]:
        lang = ctx["DEFAULT_LANG"]
    return absolute(ref_path(ref, lang, ctx), ctx)


def indexable(ctx):
    """Whether search engines (and the sitemap) should list this page."""
    ref = identify(ctx)
    if isinstance(ref, RouteRef):
        return ref.name not in routes.UNLISTED
    if isinstance(ref, ContentRef):
        return getattr(ref.item, "status", "published") == "published"
    return True


def last_modified(ctx):
    ref = identify(ctx)
    if isinstance(ref, ContentRef):
        return getattr(ref.item, "modified", None) or getattr(ref.item, "date", None)
    return None
