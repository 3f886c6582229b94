"""The lists of a tag's, category's or author's articles."""

from taxonomy import ArticleList


class Article:
    """As Pelican's: no equality of its own, so compared by identity."""


def test_article_lists_answer_in_as_lists_do_through_every_change():
    articles = [Article() for _ in range(60)]
    plain = articles[::3]
    fast = ArticleList(plain)

    def same():
        return [a for a in articles if a in fast] == [a for a in articles if a in plain]

    assert same()
    assert sum(a in fast for a in articles) == 20
    changes = [
        ("append", (articles[1],)),
        ("extend", (articles[4:7],)),
        ("insert", (0, articles[2])),
        ("remove", (articles[0],)),
        ("pop", ()),
        ("__setitem__", (0, articles[10])),
        ("__delitem__", (slice(0, 3),)),
        ("__iadd__", ([articles[59]],)),
        ("__imul__", (0,)),
        ("append", (articles[30],)),
        ("clear", ()),
    ]
    for name, args in changes:
        getattr(plain, name)(*args)
        getattr(fast, name)(*args)
        assert list(fast) == plain, name
        assert same(), name
    assert "a text" not in fast
    assert isinstance(fast, list)
