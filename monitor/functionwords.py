"""Function words of the languages users' feeds are in: words that say nothing of the news.

Story and event matching count a word two headlines share; "the", "der", "le", "de" are shared
by any two headlines of one language, so they count for nothing, in every language alike.
Written for this project (articles, pronouns, prepositions, conjunctions, auxiliaries,
negations); no word here names, numbers or dates anything.

A word that is also an English word ("die", "war", "hat", "de", "pour": ``ENGLISH_TOO``)
counts for nothing only in a text in that language by its own function words
(``foreign_words``): "Police: son dies in war" keeps its words, "Die Bahn erhöht die Preise"
does not keep "die"; a few common in English ("man", "son", "want": ``ENGLISH``) count in
every text. The other words count for nothing in any text (``function_word``).
``ENGLISH_TOO`` holds the words the UCI and STS headlines use as English or in names ("Paco
De Lucia", "Kim Jong-un", "Los Angeles", "van der Sloot", "I'd", "Op-Ed"), and common English
words: what parse makes of those headlines is what it made before these lists.

Words are matched as spelt in the text, case folded, accents kept (``str.casefold``).
"""

from __future__ import annotations

from collections.abc import Sequence

# Each language's list as written; ``ENGLISH_TOO`` comes out of all of them.
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
le la les l un une des du de d au aux et ou mais donc ni car que qu qui quoi dont où ce
cet cette ces c son sa ses leur leurs mon ma mes notre nos votre vos il elle ils elles on
nous vous je j se s lui y en dans sur sous avec sans pour par chez vers entre contre depuis
pendant avant après selon est sont était étaient été être a ont avait avoir fait ne n pas
plus moins très aussi comme si tout tous toute toutes même déjà encore lors va vont
"""
_SPANISH = """
el la los las lo un una unos unas y o u e pero sino que quien quién cual cuál cuando donde
dónde como cómo de del al a en con sin por para sobre entre hasta desde contra ante tras
según durante es son fue fueron era ser ha han había sido está están estar se su sus le
les me te nos mi él ella ellos ellas yo no sí si más muy ya también este esta estos estas
ese esa esos esas eso esto todo todos toda todas tras
"""
_ITALIAN = """
il lo la i gli le un uno una di del dello della dei degli delle a al allo alla ai agli alle
da dal dallo dalla dai dagli dalle in nel nello nella nei negli nelle su sul sullo sulla
sui sugli sulle con per tra fra e ed o ma che chi cui non più anche come se è sono era
stato stata stati essere ha hanno aveva avere si ci ne questo questa questi queste quello
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
# No Russian or Ukrainian list: a Ukrainian headline joins its event's Russian coverage on
# the words the two languages share, "в" among them (tests/test_events_semantic.py).

LANGUAGES: dict[str, frozenset[str]] = {
    lang: frozenset(text.split())
    for lang, text in (
        ("de", _GERMAN), ("fr", _FRENCH), ("es", _SPANISH), ("it", _ITALIAN),
        ("pt", _PORTUGUESE), ("nl", _DUTCH),
    )
}  # fmt: skip

# Words of the lists above that English headlines use as words of their own (found in the
# UCI and STS headlines and in the ingest bench's summaries, or common English words):
# dropped only from a text in their language (``foreign_words``)...
_ENGLISH_TOO = """
die war will hat dies em non ons van al o u c j n va kan mich dan hun mas et pour e na yo
sin weil ins de un im also el d l las los der en op le au la es um
"""
ENGLISH_TOO = frozenset(_ENGLISH_TOO.split())
# ...but these, common in English text and of little weight in their language ("want" is
# Dutch "because"), are kept as words in every text: a text holding one of them would be
# asked its language, as a tenth of English texts are for those above.
_ENGLISH = """
want man car come son per sue plus com sans era door sob met ed
"""
ENGLISH = frozenset(_ENGLISH.split())

# Every list's words that are not English words too: the words all matching drops.
FUNCTION_WORDS = frozenset().union(*LANGUAGES.values()) - ENGLISH_TOO - ENGLISH
# A language's words that are English words too: dropped from a text in that language only
# (``foreign_words``): German "die", "hat", "im"; Portuguese "de", "em", "e", "o", "na".
ENGLISH_TOO_OF = {lang: words & ENGLISH_TOO for lang, words in LANGUAGES.items()}
# A text is in a language when it holds ``EVIDENCE`` of that language's function words of no
# English or more (not "die", "de", "son": "Los Angeles son dies"), and more of all its
# function words than English stop words ("Man dies in war" is English).
EVIDENCE = 2
_LANGUAGES_OF: dict[str, tuple[str, ...]] = {}  # a function word of no English: its languages
_ENGLISH_TOO_IN: dict[str, tuple[str, ...]] = {}  # an English-looking one: its languages
for _lang, _words in LANGUAGES.items():
    for _word in _words - ENGLISH:
        _of = _ENGLISH_TOO_IN if _word in ENGLISH_TOO else _LANGUAGES_OF
        _of[_word] = (*_of.get(_word, ()), _lang)


def function_word(raw: str) -> bool:
    """``raw``, as spelt in a headline, is a function word of one of the languages: not when
    in capitals, an English headline's acronym or initial ("UN", "EU", "AI", "LA", "AU" are
    "un", "eu", "ai", "la", "au" of French, Portuguese, Italian; "Fiat 500L")."""
    return raw.casefold() in FUNCTION_WORDS and not raw.isupper()


def foreign_words(raws: Sequence[str], english: frozenset[str]) -> frozenset[str]:
    """The words of ``raws`` (a text's words as spelt) to drop besides ``function_word``'s:
    the English-looking function words of the language the text is in by its function
    words ("die" of "Die Bahn erhöht die Preise für ein Ticket"); none in an English text
    (more ``english`` stop words, or too few function words of no English): "Paco De Lucia
    dies" keeps "dies"."""
    telling: dict[str, int] = {}  # a language's words of no English in the text
    counts: dict[str, int] = {}  # and all its words
    in_english = 0
    for raw in raws:
        if raw.isupper():
            continue
        word = raw.casefold()
        if word in english:
            in_english += 1
            continue
        for lang in _LANGUAGES_OF.get(word, ()):
            telling[lang] = telling.get(lang, 0) + 1
        for lang in _LANGUAGES_OF.get(word, ()) + _ENGLISH_TOO_IN.get(word, ()):
            counts[lang] = counts.get(lang, 0) + 1
    sure = [lang for lang, n in telling.items() if n >= EVIDENCE]
    most = max((counts[lang] for lang in sure), default=0)
    if most <= in_english:
        return _NONE
    langs = [lang for lang in sure if counts[lang] == most]
    drop = frozenset().union(*(ENGLISH_TOO_OF[lang] for lang in langs))
    return frozenset(raw for raw in raws if not raw.isupper() and raw.casefold() in drop)


_NONE: frozenset[str] = frozenset()
