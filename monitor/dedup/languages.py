"""Which language an item is written in, and the function words of that language.

Story and event matching count the words two items share; "the", "der", "le", "de" are shared
by any two items of one language and say nothing of the news. English ones are stop words
(``STOP_WORDS``, dropped from every text). Another language's are dropped only from a text in
that language (``SPELT``): many of them are English words or names too ("Jack Ma", "Lana Del
Rey", "Nun, 86", "Tot dies", "under par", "Han Kang", "Lake Como"), and German "tot" (dead)
is Dutch "until".

A text's language is decided once an item, over its headline and summary together
(``language``), by its function words: one at least that is no English word ("und", "für",
"les", "une", "não": ``TELLING``) and ``EVIDENCE`` in all with the articles and prepositions
English text holds only in foreign names (``NAMED``: "de", "la", "der", "Del"); or
``DISTINCT`` different ones of those ("Le maire de Lyon en visite"); and more of them than the
English stop words that are not function words of that language ("the", not "in"). A word
of another language's list that is an English word too ("man", "war", "dies", "son", "also",
"die", "do": ``ENGLISH_TOO``) never counts for it: "Man dies in Ukraine war" and "El Chapo son
arrested in Los Mochis" stay English, and keep every word. Counted over real text
(``bench/languages.py``): all 11,364 UCI and STS headlines, alone and with the ingest bench's
summaries, and all 889 items of the English real feeds come out English; of the real German
and Portuguese feeds' items with their summaries, heise 15 of 15, the German podcasts 44 of
44, UOL 10 of 15 and Portuguese encoding.rss 35 of 40 come out in their language (the others:
Portuguese's common words "do", "em", "no", "a", "o", "e" are English words too, and count
for nothing). A headline alone tells less (heise 4 of 15, encoding.rss 12 of 40). Asking
more (``EVIDENCE`` 3 or 4, ``TELLING`` 2) keeps every English item English too, and tells
fewer foreign ones.

Lists written for this project (articles, pronouns, prepositions, conjunctions, auxiliaries,
negations); words that are also content words of their own language ("été": summer, "este":
east, "stato": state) are left out. Words are matched as spelt, lower case or capitalised: an
acronym ("UN", "EU", "LA") is not one.
"""

from __future__ import annotations

from functools import lru_cache

_GERMAN = """
der die das den dem des ein eine einer eines einem einen und oder aber doch sondern denn weil
dass daß ob wenn als wie zu zum zur im ins am vom beim mit von für auf aus bei nach seit
über unter vor hinter neben zwischen durch gegen ohne um bis ab an in ist sind war waren
wird werden wurde wurden hat haben hatte hatten sein seine seiner seinen seinem seines ihr
ihre ihren ihrem ihrer ihres er sie es wir ich du man sich nicht kein keine keinen keiner
also auch noch schon nur sehr so dies diese dieser dieses diesem diesen welche welcher welches
was wer wo hier dort da dann nun jetzt bereits immer soll sollen sollte kann können könnte
muss müssen will wollen darf dürfen uns euch ihm ihn ihnen mir mich sowie
"""
_FRENCH = """
le la les l un une des du de d à au aux et ou mais donc ni car que qu qui quoi dont où ce
cet cette ces c son sa ses leur leurs mon ma mes notre nos votre vos il elle ils elles on
nous vous je j se s lui y en dans sur sous avec sans pour par chez vers entre contre depuis
pendant avant après selon est sont était étaient être a ont avait ne n pas
plus moins très aussi comme si tout tous toute toutes même déjà encore lors va vont
"""
_SPANISH = """
el la los las lo un una unos unas y o u e pero sino que quien quién cual cuál cuando donde
dónde como cómo de del al a en con sin por para sobre entre hasta desde contra ante tras
según durante es son fue fueron era ser ha han había sido está están estar se su sus le
les me te nos mi él ella ellos ellas yo no sí si más muy ya también esta estos estas
ese esa esos esas eso esto todo todos toda todas
"""
_ITALIAN = """
il lo la i gli le un uno una di del dello della dei degli delle a al allo alla ai agli alle
da dal dallo dalla dai dagli dalle in nel nello nella nei negli nelle su sul sullo sulla
sui sugli sulle con per tra fra e ed o ma che chi cui non più anche come se è sono era
essere ha hanno aveva avere si ci ne questo questa questi queste quello
quella suo sua suoi sue loro lui lei noi voi io molto già dopo prima contro senza verso
"""
_PORTUGUESE = """
o a os as um uma uns umas de do da dos das em no na nos nas ao aos à às por pelo pela
pelos pelas para com sem sob sobre entre até desde contra após e ou mas que quem qual
quando onde como se não sim mais muito já também é são foi foram era ser está estão estar
tem têm ter há seu sua seus suas ele ela eles elas eu você nós este esta estes estas esse
essa isso isto aquele aquela todo toda todos todas
"""
_DUTCH = """
de het een en of maar want dat die dit deze wie wat waar wanneer hoe van in op aan met voor
door bij uit naar over onder tegen tussen zonder tot na om te ter is zijn was waren wordt
worden werd werden heeft hebben had hadden zal zullen kan kunnen moet moeten wil willen
niet geen ook nog al wel er hier daar dan nu zo zich hij zij ze wij we ik jij je u hun
haar hem ons onze mijn
"""
# English stop words, dropped from every text (``headline``): a text is English when it holds
# as many of them as of another language's function words.
_ENGLISH = """
a about above after again against all am amid an and any are as at be been before being
below between both but by can did do does doing don down during each few for from further
had has have having he her here him his how i if in into is it its just me more most my new
no nor not now of off on once only or other our out over own s said same say says she
should so some such t than that the their them then there these they this those through to
too under until up very was we were what when where which while who whom why will with you
your
"""
# Words of the lists above that English text uses as words or names of its own: every one
# found in the UCI and STS headlines (tests/test_languages_english.py checks) or the English
# real feeds ("u", "man", "war", "dies", "also", "car", "son", "want", "plus", "per", "Dan",
# "come"; "Los Angeles", "van der Sloot", "I'd"), or known as such ("Jack Ma", "Del Potro",
# "Di Maria", "Che", "Lake Como", "Nas", "Han Kang", "nun", "tot", "par", "Top Dem", "dont",
# "tai chi", "Io", "Sind", "Nur", "Fra", "ya", "faux pas"). They never count for a language
# (``language_of``), and are dropped only from a text of theirs.
_ENGLISH_TOO = """
u man war dies also car son want n plus per dan com come o al d c j die non de l em los ed
sue e door op las ons van met el um ins hat ni un le au sans sob der en du uno con weil era
mich et im sin la es mas hun na kan va nog mon su des ha pour déjà si tra je y yo lo che von
ma di del della da dos do nas han nun tot par dem den das mir bei sein seine este esse
contra ante para pendant encore tout notre elle prima lei loro sono todo hasta sim seu
i s t a er so ab wo bis ob ce cet ces qui il ai alle dal dei eso ese era ser dit dat wie
wat wil zo ze hem haar te ter na om wel dan nu hoe ik ne ou se me te mi no nos como
dont chi io sind nur fra ya pas
"""
ENGLISH_TOO = frozenset(_ENGLISH_TOO.split())
# Of those, the articles and prepositions English text holds only inside a foreign name or
# phrase ("Tour de France", "La Liga", "Le Pen", "El Niño", "Los Angeles", "van der Sloot",
# "Lana Del Rey", "Da Silva", "Das Boot", "en route", "au pair", "et al"): no English words.
# They count for a language beside a telling word, or three different ones alone ("Le maire
# de Lyon en visite"); an English word of ``ENGLISH_TOO`` ("man", "war", "dies", "son",
# "also", "die", "do", "em") never counts for one.
_NAMED = """
de la le el los las del della di da du des der van von dos das en au et un il
"""
NAMED = frozenset(_NAMED.split())

# No Russian or Ukrainian list: a Ukrainian headline joins its event's Russian coverage on
# the words the two languages share, "в" among them (tests/test_events_semantic.py).

ENGLISH = "en"
STOP_WORDS = frozenset(_ENGLISH.split())
LANGUAGES: dict[str, frozenset[str]] = {
    lang: frozenset(text.split())
    for lang, text in (
        ("de", _GERMAN), ("fr", _FRENCH), ("es", _SPANISH), ("it", _ITALIAN),
        ("pt", _PORTUGUESE), ("nl", _DUTCH),
    )
}  # fmt: skip

# A text is in a language when it holds a function word of that language that is no English
# word (``TELLING`` of them: "und", "für", "les", "une", "não") and ``EVIDENCE`` of them and of
# ``NAMED`` in all (counted each time they come); or ``DISTINCT`` different ones of ``NAMED``
# ("Le PSG en finale de la Ligue": "le", "en", "de", "la"); and more of them than its English
# stop words that are not function words of that language ("the", not "in"). "Lana Del Rey",
# "Paco De Lucia", "Tour de France", "El Chapo son arrested in Los Mochis" (two), "Man dies in
# Ukraine war" (none: "man", "dies", "war" are English words) are English; "Der Papst ist tot"
# holds two ("der", "ist"; "tot" is an English word) and is German.
EVIDENCE = 2
TELLING = 1
DISTINCT = 3


def _spellings(words: frozenset[str]) -> frozenset[str]:
    """``words`` as a text spells them: lower case, capitalised (a sentence's first word)."""
    return frozenset(w for word in words for w in (word, word.capitalize()))


# Each language's function words as spelt (``_spellings``): those dropped from its text.
SPELT: dict[str, frozenset[str]] = {lang: _spellings(w) for lang, w in LANGUAGES.items()}
# What ``language`` reads: a text's words as whitespace parts them (``str.split``: several
# times cheaper than a pattern, and most texts are English, asked in vain); a word with a
# mark of punctuation on it ("ein,", "l'été") is not read, and need not be: function words
# stand before the words they go with, and a text has several.

# A word as read: the languages it is a function word of and no English word ("und": German;
# "que": French, Spanish, Portuguese), with a "?" after the language for a word of ``NAMED``
# ("de?"), "en" for an English stop word. An English word of ``ENGLISH_TOO`` is not read.
_OF: dict[str, tuple[str, ...]] = {}
for _lang, _words in LANGUAGES.items():
    for _word in _spellings(_words - STOP_WORDS - ENGLISH_TOO):
        _OF[_word] = (*_OF.get(_word, ()), _lang)
    for _word in _spellings(_words & NAMED - STOP_WORDS):
        _OF[_word] = (*_OF.get(_word, ()), _lang + "?")
# The words as read that tell a language: a text with none of them is English (or not told).
_TELLING = frozenset(w for w, langs in _OF.items() if any(lang in LANGUAGES for lang in langs))
# ... or those of ``NAMED`` too: a text with fewer than ``DISTINCT`` of them all (each
# spelling once), none telling, is English (or not told).
_TOLD = frozenset(_OF)
# An English stop word as read: the other languages it is a function word of ("in": German,
# Italian, Dutch), where it tells nothing against them.
_ALSO: dict[str, frozenset[str]] = {}
for _word in _spellings(STOP_WORDS):
    _OF[_word] = (*_OF.get(_word, ()), ENGLISH)
for _word in STOP_WORDS:
    _also = frozenset(lang for lang, words in LANGUAGES.items() if _word in words)
    for _form in _spellings(frozenset([_word])):
        _ALSO[_form] = _also
# The words as read that are function words of another language, English words too or not:
# a headline with none of them reads alike in any language (``headline_language``).
_FOREIGN = frozenset().union(*SPELT.values()) - _spellings(STOP_WORDS)
# Of a summary, what ``language`` reads: its first sentence or two tell as well as a page
# (bench/languages.py counts the same at 150 characters as at 500), and read in half the time.
SUMMARY_CHARS = 150


def language(title: str, summary: str = "") -> str | None:
    """The language of an item of headline ``title`` and ``summary`` (``language_of``),
    decided on both: a short headline tells too little, its lede enough."""
    if summary:
        return _language(title, summary)
    return _told(title.split())


def headline_language(title: str, summary: str = "") -> str | None:
    """The language an item's headline is parsed in (``headline.parse_in``): the one function
    that decides it, asked alike by story matching, event assignment live and on a rebuild
    (``events.cluster``: a restart, a reload, a rolled-back poll), ``events.compare`` and
    ``monitor dedup-check``, so that a headline's words are the same in all of them.

    ``language(title, summary)`` where it can change the headline's words: None for a
    headline that holds no function word of another language (as ``str.split`` gives its
    words: "ein," is not read), which reads alike in any language. 10,884 of the 11,364 UCI
    and STS headlines hold none, and their summaries need not be read for it."""
    if _FOREIGN.isdisjoint(title.split()):
        return None
    return language(title, summary)


# Cached: story matching (``headline_language``) and event assignment ask it of the same
# item, and a summary's words cost several times a headline's.
@lru_cache(maxsize=256)
def _language(title: str, summary: str) -> str | None:
    return _told(title.split() + summary[:SUMMARY_CHARS].split())


def _told(words: list[str]) -> str | None:
    held = _TOLD.intersection(words)
    if len(held) < DISTINCT and _TELLING.isdisjoint(held):
        return None  # most texts: English
    return language_of(words)


def language_of(words: list[str]) -> str | None:
    """The language of a text whose words (as ``str.split`` gives them) are ``words``: a key
    of ``LANGUAGES``, or None (English, or too few function words of any language to tell).
    An English word of ``ENGLISH_TOO`` ("man", "war", "dies") never counts for a language."""
    counts: dict[str, int] = {}  # a language's telling words, "de?" its ``NAMED`` ones
    distinct: dict[str, set[str]] = {}  # "de?": its ``NAMED`` ones, in lower case
    english: list[str] = []
    get = _OF.get
    for word in words:
        langs = get(word)
        if langs is not None:
            for lang in langs:
                if lang is ENGLISH:
                    english.append(word)
                    continue
                counts[lang] = counts.get(lang, 0) + 1
                if lang[-1] == "?":
                    distinct.setdefault(lang, set()).add(word.lower())
    best, told = None, 0
    for lang in LANGUAGES:
        telling = counts.get(lang, 0)
        n = telling + counts.get(lang + "?", 0)
        if n > told and (
            (telling >= TELLING and n >= EVIDENCE) or len(distinct.get(lang + "?", ())) >= DISTINCT
        ):
            best, told = lang, n
    if best is None:
        return None
    # English stop words that are no function word of that language ("the", not "in")
    also = _ALSO
    return best if told > sum(1 for word in english if best not in also[word]) else None
