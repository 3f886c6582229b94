"""News categories and tags from data/taxonomy.yaml, named in each language.

Articles name their category and tags by id (``Category: progetto``); each
language's run swaps those ids for terms named and addressed in its own
language, so category and tag pages are translations of one another.
Unknown ids are reported by the content_checks plugin.
"""

from pelican import signals
from pelican.urlwrappers import Category, Tag


def localized_term(term, cls, lang, languages, settings):
    localized = cls(str(term.name.get(lang)), settings)
    localized.slug = term.slug.get(lang, term.id)
    localized.id = term.id
    localized.label = term.name.get(lang)
    localized.slugs = {code: term.slug.get(code, term.id) for code in languages}
    return localized


def localize_terms(generator):
    settings = generator.settings
    data = settings.get("DATA")
    if data is None or data.taxonomy is None:
        return
    lang = settings["DEFAULT_LANG"]
    languages = list(settings["LANGUAGES"])
    categories = {
        term.id: localized_term(term, Category, lang, languages, settings)
        for term in data.taxonomy.categories
    }
    tags = {
        term.id: localized_term(term, Tag, lang, languages, settings) for term in data.taxonomy.tags
    }
    everything = (
        generator.articles
        + generator.translations
        + generator.hidden_articles
        + generator.hidden_translations
        + generator.drafts
        + generator.drafts_translations
    )
    for article in everything:
        category = getattr(article, "category", None)
        if category is not None and category.name in categories:
            article.category = categories[category.name]
        if hasattr(article, "tags"):
            article.tags = [tags.get(tag.name, tag) for tag in article.tags]


def count_categories(generator):
    """``news_categories``: each category with its number of articles.

    What the news pages show of the categories, so editing an article's
    text does not make every news page depend on it (plugins/incremental).
    """
    generator.context["news_categories"] = [
        (category, len(articles)) for category, articles in generator.context.get("categories", [])
    ]


def register():
    signals.article_generator_pretaxonomy.connect(localize_terms)
    signals.article_generator_finalized.connect(count_categories)
