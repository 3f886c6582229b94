"""Readability of a page's text: Gulpease (Italian), Flesch reading ease (English).

Small functions rather than a library: textstat 0.7.13 counts English
syllables with NLTK's CMU dictionary, which it downloads at run time. Both
formulas need only letters, words and sentences (and syllables for Flesch):

- Gulpease (Lucisano and Piemontese, 1988): 89 + (300 × sentences − 10 ×
  letters) / words. From 0 to 100; under 80 is hard for readers with
  primary education, under 60 for lower-secondary, under 40 for
  upper-secondary.
- Flesch reading ease (1948): 206.835 − 1.015 × words / sentences − 84.6 ×
  syllables / words. Over 60 is plain English.
"""

import re
from dataclasses import dataclass
from html.parser import HTMLParser

import markdown

# A sentence ends at . ! ? (and at the end of a paragraph, heading or list
# item), unless a lower-case letter or a digit follows: "art. 14", "ecc. e".
SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”»)]*\s+(?=[^a-zà-ù0-9\s])")
WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*|\d+(?:[.,]\d+)*")
BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "dt", "dd", "td", "th", "br", "blockquote"}


@dataclass(frozen=True)
class Sentence:
    text: str
    words: int


@dataclass(frozen=True)
class Score:
    lang: str
    index: float  # Gulpease or Flesch reading ease
    words: int
    sentences: tuple

    @property
    def name(self):
        return "Gulpease" if self.lang == "it" else "Flesch"

    @property
    def average(self):
        return self.words / len(self.sentences) if self.sentences else 0.0

    def longest(self, count=2):
        return sorted(self.sentences, key=lambda s: -s.words)[:count]


class TextBlocks(HTMLParser):
    """The text of an HTML fragment, one string per block (paragraph, list item…)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks = [""]

    def handle_starttag(self, tag, attrs):
        if tag in BLOCKS:
            self.blocks.append("")

    def handle_endtag(self, tag):
        self.handle_starttag(tag, ())

    def handle_data(self, data):
        self.blocks[-1] += data


def markdown_text(source):
    """The blocks of text of a Markdown file (its header left out)."""
    header, _, body = source.partition("\n\n")
    if not re.match(r"^\w+:", header):
        body = source
    parser = TextBlocks()
    parser.feed(markdown.markdown(body, extensions=["extra"]))
    return [" ".join(block.split()) for block in parser.blocks if block.strip()]


def words_of(text, lang):
    """The words of a text; in Italian an elision makes two: "l'obbligo"."""
    if lang == "it":
        text = re.sub(r"['’]", " ", text)
    return WORD.findall(text)


def sentences(blocks, lang="it"):
    found = []
    for block in blocks:
        for text in SENTENCE_END.split(block):
            words = len(words_of(text, lang))
            if words:
                found.append(Sentence(text.strip(), words))
    return found


def syllables(word):
    """English syllables by the usual rule of thumb: groups of vowels, silent endings."""
    word = re.sub(r"[^a-z]", "", word.lower())
    if len(word) <= 3:
        return 1 if word else 0
    word = re.sub(r"(?:[^laeiouy]es|[^laeiouy]ed|[^laeiouy]e)$", "", word)
    word = re.sub(r"^y", "", word)
    return max(1, len(re.findall(r"[aeiouy]{1,2}", word)))


def score(blocks, lang):
    """The readability of text blocks in ``lang`` ("it": Gulpease, else Flesch)."""
    found = tuple(sentences(blocks, lang))
    words = [w for s in found for w in words_of(s.text, lang)]
    if not words:
        return Score(lang, 100.0, 0, found)
    if lang == "it":
        letters = sum(1 for w in words for c in w if c.isalpha())
        index = 89 + (300 * len(found) - 10 * letters) / len(words)
    else:
        syllable_count = sum(syllables(w) for w in words)
        index = 206.835 - 1.015 * len(words) / len(found) - 84.6 * syllable_count / len(words)
    return Score(lang, round(index, 1), len(words), found)
