"""News categories and tags from data/taxonomy.yaml, named in each language.

Articles name their category and tags by id (``Category: progetto``); each
language's run swaps those ids for terms named and addressed in its own
language, so category and tag pages are translations of one another.
Unknown ids are reported by the content_checks plugin.
"""

from collections import defaultdict

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


class ArticleList(list):
    """A tag's, category's or author's articles, whose ``in`` takes constant time.

    Writing their pages, Pelican asks of every article of the site whether
    it is in each of these lists: with a tag on every news article that
    grew with the square of the news. Articles compare by identity (Pelican
    defines no equality for them), so a set of identities answers the same.
    """

    __slots__ = ("_ids",)

    def __init__(self, articles=()):
        super().__init__(articles)
        self._ids = None

    def __contains__(self, item):
        if self._ids is None:
            self._ids = {id(article) for article in self}
        return id(item) in self._ids


def _forgetting(name):
    method = getattr(list, name)

    def mutate(self, *args):
        self._ids = None
        return method(self, *args)

    mutate.__name__ = name
    return mutate


for _name in ("append", "extend", "insert", "remove", "pop", "clear"):
    setattr(ArticleList, _name, _forgetting(_name))
for _name in ("__setitem__", "__delitem__", "__iadd__", "__imul__"):
    setattr(ArticleList, _name, _forgetting(_name))


def index_term_articles(generator):
    """Each term's articles as an ArticleList, in the generator and the context."""
    generator.tags = defaultdict(
        ArticleList, {tag: ArticleList(articles) for tag, articles in generator.tags.items()}
    )
    generator.categories = [(term, ArticleList(arts)) for term, arts in generator.categories]
    generator.authors = [(term, ArticleList(arts)) for term, arts in generator.authors]
    generator.context["tags"] = list(generator.tags.items())
    generator.context["categories"] = generator.categories
    generator.context["authors"] = generator.authors


def count_categories(generator):
    """``news_categories``: each category with its number of articles, for the news pages."""
    generator.context["news_categories"] = [
        (category, len(articles)) for category, articles in generator.context.get("categories", [])
    ]


def register():
    signals.article_generator_pretaxonomy.connect(localize_terms)
    signals.article_generator_finalized.connect(index_term_articles)
    signals.article_generator_finalized.connect(count_categories)
