"""Pelican settings for each language, derived from LANGUAGES.

Every language is built by its own Pelican run into the same output folder;
its URLs carry its prefix (none for the default language). Each run gives
every item it writes its own URL patterns, whatever the item's language, so
untranslated content is written at that language's address as a fallback.
"""

from pelican.paginator import PaginationRule

from website.routes import language_prefix, route_path, save_as_for

REQUIRED_WORDS = (
    "news",
    "category",
    "tag",
    "archives",
    "page",
    "site_map",
    "feeds",
    "drafts",
)

# Direct templates and the route each one is written at.
DIRECT_TEMPLATES = ("index", "news", "archives", "site_map", "not_found")
# None: DEFAULT_PAGINATION items a page. The archive lists titles only, so
# more of them fit in a light page.
PAGINATED_TEMPLATES = {"news": None, "category": None, "tag": None, "archives": 100}


class LanguageConfigError(ValueError):
    pass


def check_languages(settings):
    """Fail early, with a readable message, on a malformed LANGUAGES setting."""
    languages = settings.get("LANGUAGES") or {}
    default = settings["DEFAULT_LANG"]
    if default not in languages:
        raise LanguageConfigError(
            f"DEFAULT_LANG {default!r} is not one of LANGUAGES ({', '.join(languages)})"
        )
    for lang, config in languages.items():
        missing = [w for w in REQUIRED_WORDS if w not in config.get("paths", {})]
        if missing:
            raise LanguageConfigError(f"LANGUAGES[{lang!r}]['paths'] lacks {', '.join(missing)}")
        if "name" not in config:
            raise LanguageConfigError(f"LANGUAGES[{lang!r}] lacks 'name'")


def language_settings(settings, lang):
    """The settings that differ between languages, for ``lang``."""
    languages = settings["LANGUAGES"]
    site_lang = settings["SITE_DEFAULT_LANG"]
    prefix = language_prefix(lang, site_lang)
    words = languages[lang]["paths"]

    def path(name, **params):
        return route_path(name, lang, languages, site_lang, **params)

    article_url = f"{prefix}{words['news']}/{{slug}}/"
    page_url = f"{prefix}{{slug}}/"
    draft_url = f"{prefix}{words['drafts']}/{{slug}}/"
    category_url = f"{prefix}{words['category']}/{{slug}}/"
    tag_url = f"{prefix}{words['tag']}/{{slug}}/"
    page_word = words["page"]

    overrides = {
        "DEFAULT_LANG": lang,
        "ARTICLE_URL": article_url,
        "ARTICLE_SAVE_AS": article_url + "index.html",
        "PAGE_URL": page_url,
        "PAGE_SAVE_AS": page_url + "index.html",
        "DRAFT_URL": draft_url,
        "DRAFT_SAVE_AS": draft_url + "index.html",
        "DRAFT_PAGE_URL": f"{prefix}{words['drafts']}/{words['page']}/{{slug}}/",
        "CATEGORY_URL": category_url,
        "CATEGORY_SAVE_AS": category_url + "index.html",
        "TAG_URL": tag_url,
        "TAG_SAVE_AS": tag_url + "index.html",
        "AUTHOR_SAVE_AS": "",
        "AUTHORS_SAVE_AS": "",
        "CATEGORIES_SAVE_AS": "",
        "TAGS_SAVE_AS": "",
        "DIRECT_TEMPLATES": list(DIRECT_TEMPLATES),
        "PAGINATED_TEMPLATES": dict(PAGINATED_TEMPLATES),
        "PAGINATION_PATTERNS": [
            PaginationRule(1, "{url}", "{save_as}"),
            PaginationRule(
                2,
                f"{{base_name}}/{page_word}/{{number}}/",
                f"{{base_name}}/{page_word}/{{number}}/index.html",
            ),
        ],
        "FEED_ALL_ATOM": path("feed"),
        "MARKDOWN": markdown_settings(settings, lang),
    }
    overrides["DRAFT_PAGE_SAVE_AS"] = overrides["DRAFT_PAGE_URL"] + "index.html"
    if not settings.get("DRAFTS_VISIBLE", True):
        overrides["DRAFT_SAVE_AS"] = overrides["DRAFT_PAGE_SAVE_AS"] = ""
    # Each run writes every item with its own patterns, whatever the item's language.
    for kind in ("ARTICLE", "PAGE", "DRAFT", "DRAFT_PAGE"):
        overrides[f"{kind}_LANG_URL"] = overrides[f"{kind}_URL"]
        overrides[f"{kind}_LANG_SAVE_AS"] = overrides[f"{kind}_SAVE_AS"]
    for template in DIRECT_TEMPLATES:
        url = path(template)
        overrides[f"{template.upper()}_URL"] = url
        overrides[f"{template.upper()}_SAVE_AS"] = save_as_for(url)
    return overrides


def markdown_settings(settings, lang):
    """MARKDOWN with the ``{route}`` links extension (website/links.py) for ``lang``."""
    markdown = dict(settings.get("MARKDOWN") or {})
    configs = dict(markdown.get("extension_configs") or {})
    configs["website.links"] = {
        "settings": {
            "DEFAULT_LANG": lang,
            "LANGUAGES": settings["LANGUAGES"],
            "SITE_DEFAULT_LANG": settings["SITE_DEFAULT_LANG"],
            "SITEURL": settings["SITEURL"],
        }
    }
    markdown["extension_configs"] = configs
    return markdown


def all_language_settings(settings):
    return {lang: language_settings(settings, lang) for lang in settings["LANGUAGES"]}
