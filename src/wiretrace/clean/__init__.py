"""Clean: find each document's story body and mark the rest as spans with kinds.

The cleaner never rewrites text. It cuts the raw text into blocks (``text_blocks``: lines, as an
HTML page's visible text and scraped text have one block per line; paragraphs in hard-wrapped text,
whose line breaks are the wire's, not the writer's) and decides each in three steps:

1. Wording and position rules name what a block would be if it is noise: the headline and its
   repeats, a standfirst, bylines, date / "min read" lines, captions, appeals, comment forms, teaser
   lists, footers, a second article glued in (headline + byline right after body paragraphs), and
   blocks the corpus showed to be boilerplate (``learn_boilerplate``).
2. A trained classifier (``clean_features``: two stacked logistic regressions over the block's shape,
   multilingual wording cues, a learned word lexicon, its neighbours, the markup extractor's hints
   for HTML, and the page's core; in plain text the second stage also sees where the block stands
   against the page's body region and the runs of like-shaped lines it is in) gives every block
   p(body). The rules that are right ~98% of the
   time on labelled pages decide alone (``HARD_KINDS``); for the rest the classifier's verdict
   stands, and a noise block keeps the kind the rules named (``boilerplate`` when none did).
3. Context repairs: a teaser list headed after the body is noise, a short off-topic run inside an
   appeal is appeal, in plain text (no markup hints) a short run of "body" cut off after the
   article by noise blocks is noise and an unsure line between two body paragraphs is body, and a block whose sentences disagree (an appeal glued to the first body
   sentence) is split at the sentence boundary.

Every verdict carries its reason (the rule, or the classifier's probability and the features that
pushed it), for ``wiretrace explain``. The weights are trained by ``bench/clean_train.py`` and
measured by ``bench/clean_eval.py``.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import xxhash

from wiretrace.clean.features import (
    STAGE1,
    BlockInfo,
    Linear,
    PageFeatures,
    Trees,
    stage1_features,
    stage2_features,
    stage2_names,
)
from wiretrace.errors import ConfigError
from wiretrace.model import Cleaned, Document, Segment
from wiretrace.text.names import lower_vocabulary, names_in
from wiretrace.text.tokens import (
    MAX_SENTENCE_CHARS,
    count_words,
    lines,
    raw_lines,
    sentences,
    trim,
    word_tokens,
    wrap_width,
)
from wiretrace.text.topic import content_words, cosine


@dataclass(frozen=True, slots=True)
class CleanConfig:
    boilerplate_min_docs: int = 3  # a block in at least this many documents may be boilerplate
    syndication_shared_blocks: int = 2  # ...unless its documents also share this many long blocks
    long_block_words: int = 12
    coherence_floor: float = 0.08  # below this, a block between noise blocks takes their kind

    def __post_init__(self) -> None:
        if self.boilerplate_min_docs < 2:
            raise ConfigError("clean", "boilerplate_min_docs", self.boilerplate_min_docs, "an integer >= 2")
        if self.syndication_shared_blocks < 1:
            raise ConfigError("clean", "syndication_shared_blocks", self.syndication_shared_blocks, "an integer >= 1")
        if not 0.0 <= self.coherence_floor <= 1.0:
            raise ConfigError("clean", "coherence_floor", self.coherence_floor, "a number in [0, 1]")


# --- wording and shape cues -------------------------------------------------------------------
_I = re.IGNORECASE
APPEAL = re.compile(
    r"\b(donat(e|es|ed|ion|ions|ing)|your support|support (us|our|independent|local)|"
    r"subscri(be|bed|bing|ption|ptions|ber|bers)|newsletters?|sign(ing)? up|paywalls?|"
    r"become an? (member|supporter|patron|subscriber)|membership|contribut(e|ion|ions)\b|"
    r"(independent|quality|our|local) journalism|our (reporting|newsroom|journalists)|help us|"
    r"ad-free|free trial|unlock|in your inbox|chip in|make a gift|gifts? of any (size|amount)|keeps? us (going|independent|free)|"
    r"readers like you|reader-funded|answer to our readers|owned by no)",
    _I,
)
COMMENT_HEADER = re.compile(
    r"^(leave a (reply|comment)|post a comment|add a comment|comments?( \(\d+\))?|\d+ comments?|"
    r"join the (discussion|conversation)|be the first to comment|what do you think\?*)\W*$",
    _I,
)
COMMENT_LINE = re.compile(
    r"(your email address will not be published|required fields are marked|post comment|cancel reply|"
    r"save my name|log in to (comment|reply)|notify me of|^(name|email|e-mail|website|comment|message)\s*\*?\s*$|"
    # WordPress comment sections in other languages, and their trackbacks
    r"^\W*(pingback|trackback)\b|\bakismet\b|wird (benötigt und )?nicht veröffentlicht|benachrichtige mich|"
    r"informiere mich über neue (beiträge|kommentare)|ne sera pas publiée|no será publicada|non sarà pubblicato|nie zostanie opublikowany)",
    _I,
)
TEASER_HEADER = re.compile(
    r"^(recommended( stories| for you| reading| articles)?|related( news| stories| articles| coverage| content| posts| reading)?|"
    r"more (stories|news|from [\w .'-]+|on this story|on [\w .'-]+)|read (more|next|also)|(you )?(may|might) (also )?like|"
    r"(more|other|latest|top) [\w' -]{0,30}(news|stories|headlines|articles|reads)|around the (region|web|world|site|country)|"
    r"most (read|popular|viewed|shared)|trending( now| stories)?|top stories|latest( news| stories)?|popular( now)?|"
    r"editor'?s picks|don'?t miss|see also|also read|further reading|in other news|more to read|"
    r"das könnte (sie|dich) auch interessieren|mehr zum thema|weitere (artikel|beiträge|nachrichten|meldungen)|"
    r"ähnliche (beiträge|artikel)|verwandte (artikel|beiträge)|lesen sie auch|auch interessant|meistgelesen|"
    r"à lire aussi|lire aussi|sur le même sujet|artículos relacionados|noticias relacionadas|"
    r"czytaj (też|także)|zobacz (też|także|również))\W*$",
    _I,
)
FOOTER = re.compile(
    r"(©|\(c\) ?\d{4}|all rights reserved|copyright \d{4}|terms (of|and) (use|service|conditions)|privacy policy|"
    r"cookie|follow us|share (this|on)|click here|^advertisement$|skip to (main )?content|back to top|"
    r"licensing|enquiries|contact us|\S+@\S+\.[a-z]{2,}|"
    r"^(share|tweet|email|print|facebook|twitter|whatsapp|linkedin)$|bookmark the permalink|"
    r"^(beitrag|artikel|seite|den artikel [\w ]{0,30}) teilen\b|teilen/diskutieren|^(bewerten|teilen|drucken)\W*$|"
    r"\b(besucher|gäste|visitors|users) (sind )?online\b|sofern nicht anders (angegeben|ausgewiesen)|"
    r"neue beiträge per e-mail|per e-mail über (aktuelles|neue)|"
    # embedded-content placeholders and affiliate disclosures
    r"^\W*(empfohlener redaktioneller inhalt|externer inhalt)\W*$|klicken sie auf den (unteren )?button, um den inhalt|"
    r"\b(affiliate|partner)[- ]?links?\b|erhält .{0,30}provision|\b(receive|earn) (a )?(small )?(compensation|commission)\b)",
    _I,
)
# "Read also: <headline>" lines inside or under an article, in the languages of the evaluation pages
INLINE_TEASER = re.compile(
    r"^\W*((lea|lee|leia|veja|vea) (también|tambem|também|más|mais|además)|(le|te) puede interesar|puedes ver|mira|"
    r"lesen sie (auch|hier|mehr)|mehr dazu|auch interessant|dowiedz się (więcej|też)|czytaj (też|także|więcej)|"
    r"zobacz (też|także|również)|read (also|more)|see also|also read|related|(à )?lire aussi|leggi anche|vedi anche)\s*:\s*\S|"
    r"^\W*((nächster|vorheriger) (artikel|beitrag)|vorschau auf den nächsten artikel|(next|previous) (article|post)\b)",
    _I,
)
CAPTION = re.compile(
    r"(\((?:[^()]*\b(?:photo|photograph|image|picture|file|credit|getty|pool|via ap|afp|epa)\b[^()]*)\)|"
    r"\bphoto(graph)?\s*(:|by|credit)|^(photo|image|picture|file photo)\b|^(bild anzeigen|zum vergrößern|vergrößern)\b|"
    r"\b(left|right|centre|center|second left|second right), (gestures|speaks|looks|stands|waves|walks|listens|arrives|attends|"
    r"smiles|poses|talks|sits|is seen|shakes))",
    _I,
)
BYLINE = re.compile(
    r"^(?i:by|written by|reporting by|words by)\s+[A-Z][\w.'’-]+(\s+[A-Z][\w.'’-]+){0,3}(\s*(,|and|\|).*)?$|"
    r"^[A-Z][a-z.'’-]+( [A-Z][a-z.'’-]+){1,3}\s*(,|\||-|–|—)\s*[\w.-]+\.(com|net|org|co\.uk|news|info|[a-z]{2})$|"
    r"^[A-Z][A-Z.'’-]+( [A-Z][A-Z.'’-]+){1,3}$|"
    r"^[A-Z][a-z.'’-]+( [A-Z][a-z.'’-]+){1,2},\s+[A-Z][\w.&'’-]*( [A-Z][\w.&'’-]*){0,3}$"
)
_DAY = r"((mon|tues|wednes|thurs|fri|satur|sun)day,?\s*)?"
_DATE = (
    rf"((date\s+)?\d{{4}}-\d{{2}}-\d{{2}}|{_DAY}\d{{1,2}}\.?\s+[a-z]+\.?,?\s+\d{{4}}|{_DAY}[a-z]+\.?\s+\d{{1,2}},?\s+\d{{4}})"
)
_TIME = r"(\s*[·|,@t-]?\s*\d{1,2}[:.]\d{2}(:\d{2})?\s*([ap]\.?m\.?)?\s*[a-z]{0,4})"
_READ = r"(\d+\s*(-| )?\s*min(ute)?s?\.? read)"
META_LINE = re.compile(
    rf"^\W*({_DATE}{_TIME}?(\s*[·|•,-]\s*{_READ})?|{_READ}|(published|updated|posted|last updated)\b.{{0,60}})\W*$",
    _I,
)
META_PREFIX = re.compile(r"^\W*date\s+\d{4}-\d{2}-\d{2}\s+", _I)
BULLET = re.compile(r"^[•·▪◦●►▸*\-–]\s+\S")
_READER = re.compile(r"\b(you|your|yours|we|us|our|ours)\b", _I)
_IMPERATIVE = re.compile(
    r"^\W*(please\s+)?(donate|subscribe|sign up|support|join|become|give|help|contribute|unlock|try|get|register|"
    r"log in|chip in|make|start|read)\b",
    _I,
)
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")  # tokens.words' word, counted without building tokens
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
TERMINAL = re.compile(r"[.!?…:;\"”’)]$")


def _count_words(text: str, start: int, end: int) -> int:
    """Words of a block; in Chinese or Japanese script (no spaces) two characters count as one word."""
    block = text[start:end]
    n = len(_WORD.findall(block))
    if not block.isascii():
        n += len(_CJK.findall(block)) // 2
    return n


# --- blocks: lines, or paragraphs of hard-wrapped text ----------------------------------------------
_FIRST_WORD = re.compile(r"\S+")
_SENT_TERMINAL = re.compile(r"[.!?…:;][\"'”’)\]]*$")


def text_blocks(text: str, joinable: bool = True) -> list[tuple[int, int]]:
    """The blocks cleaning decides on, as trimmed ``[start, end)`` ranges of ``text``.

    Scraped text and a page's visible text hold one block per line. Hard-wrapped text (``wrap_width``)
    holds a paragraph over several lines: its lines are joined into one block that runs to a blank
    line, or to a line that looks complete: it ends a sentence and is either short of the wrap column
    or followed by an indented line (a new paragraph). Without the join, every line of a wire story is
    a block, and lines that recur across a corpus (table rows, "Net ... vs ..." lines) would be learnt
    as boilerplate and cut out of the body. ``joinable=False`` (markup given) keeps lines.
    """
    width = wrap_width(text) if joinable else 0
    if not width:
        return lines(text)
    raw = raw_lines(text)
    indents = [len(text[s:e]) - len(text[s:e].lstrip()) for s, e in raw]
    # continuation lines carry the text's usual indentation; a paragraph's first line may carry more
    cont = Counter(indents[i + 1] for i in range(len(raw) - 1) if text[raw[i][0] : raw[i][1]].strip())
    base = cont.most_common(1)[0][0] if cont else 0
    out: list[tuple[int, int]] = []
    start = -1
    for i, (s, e) in enumerate(raw):
        line = text[s:e].rstrip()
        if not line.strip():
            continue
        if start < 0:
            start = s
        nxt = raw[i + 1] if i + 1 < len(raw) else None
        first = _FIRST_WORD.search(text, nxt[0], nxt[1]) if nxt else None
        if first is None:  # a blank line or the end of the text
            end = True
        else:
            complete = bool(_SENT_TERMINAL.search(line))
            short = len(line) + 1 + len(first.group()) <= width
            end = complete and (short or indents[i + 1] > base)
        if end:
            bs, be = trim(text, start, e)
            if be > bs:
                out.append((bs, be))
            start = -1
    return out


WHOLE = "="  # prefix of a document's own key among its block keys (document_blocks)


def block_key(text: str) -> str:
    """A block's identity across documents: case- and white-space-insensitive."""
    norm = " ".join(text.casefold().split())
    return xxhash.xxh64_hexdigest(norm.encode("utf-8"))


# --- corpus-level boilerplate -------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class BlockIndex:
    """Which documents hold which blocks, to learn boilerplate from the corpus being processed."""

    docs_of: Mapping[str, frozenset[str]]  # block key -> ids of documents holding it
    blocks_of: Mapping[str, frozenset[str]]  # doc id -> its block keys
    long_blocks: frozenset[str]  # keys of blocks with many words (content-like)

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, str, int]]) -> BlockIndex:
        """The index of (block key, document id, is a long block) rows, as the store keeps them."""
        docs_of: dict[str, set[str]] = {}
        blocks_of: dict[str, set[str]] = {}
        long_keys: set[str] = set()
        for key, doc_id, long in rows:
            docs_of.setdefault(key, set()).add(doc_id)
            blocks_of.setdefault(doc_id, set()).add(key)
            if long:
                long_keys.add(key)
        return cls(
            {k: frozenset(v) for k, v in docs_of.items()}, {k: frozenset(v) for k, v in blocks_of.items()}, frozenset(long_keys)
        )

    @classmethod
    def of_documents(cls, docs: Iterable[Document], config: CleanConfig) -> BlockIndex:
        """The index of documents held in memory (a batch, an evaluation set)."""
        rows: list[tuple[str, str, int]] = []
        for d in docs:
            keys, long_keys = document_blocks(d, config)
            rows += [(k, d.id, int(k in long_keys)) for k in keys]
        return cls.from_rows(rows)


def document_blocks(doc: Document, config: CleanConfig) -> tuple[frozenset[str], frozenset[str]]:
    """A document's block keys, and those of its long blocks.

    Both also hold the document's own key (``WHOLE`` + the key of its whole text): documents that
    share it are copies of one document, whose blocks recur because the document does.
    """
    whole = WHOLE + block_key(doc.text)
    keys, long_keys = {whole}, {whole}
    for s, e in _doc_blocks(doc):
        k = block_key(doc.text[s:e])
        keys.add(k)
        if count_words(doc.text, s, e, at_most=config.long_block_words) >= config.long_block_words:
            long_keys.add(k)
    return frozenset(keys), frozenset(long_keys)


def _doc_blocks(doc: Document) -> list[tuple[int, int]]:
    """A document's blocks: an HTML page's visible text keeps one block per line (its markup made them)."""
    return text_blocks(doc.text, joinable=doc.format != "html" and not doc.hints)


def learn_boilerplate(index: BlockIndex, config: CleanConfig) -> frozenset[str]:
    """Blocks that recur in many documents which share nothing else of substance.

    A syndicated wire paragraph also recurs in many documents, but those documents share their
    other long blocks too (the rest of the wire text): that co-occurrence explains the repeat, so
    the block stays body. A template footer recurs beside unrelated stories. Copies of one document
    (they share its ``WHOLE`` key) explain the repeat whatever their length: the table rows of three
    copies of a short earnings report are not boilerplate.
    """
    out = set()
    for key, docs in index.docs_of.items():
        if len(docs) < config.boilerplate_min_docs or key.startswith(WHOLE):
            continue
        if unexplained_repeat(key, sorted(docs)[:12], lambda d: index.blocks_of[d] & index.long_blocks, config):
            out.add(key)
    return frozenset(out)


def unexplained_repeat(key: str, ids: Sequence[str], long_blocks_of: Callable[[str], frozenset[str]], config: CleanConfig) -> bool:
    """Whether block ``key``, held by the documents ``ids`` (the first 12 by id), is boilerplate: the
    median pair of them shares fewer than ``syndication_shared_blocks`` other long blocks (copies of one
    document, which share its ``WHOLE`` key, count as sharing enough). The rule of ``learn_boilerplate``,
    also asked by the store's kept boilerplate (``corpus_state.boilerplate``)."""
    shared = []
    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            common = (long_blocks_of(a) & long_blocks_of(b)) - {key}
            copies = any(k.startswith(WHOLE) for k in common)
            shared.append(config.syndication_shared_blocks if copies else len(common))
    shared.sort()
    return shared[len(shared) // 2] < config.syndication_shared_blocks


# --- the trained classifier ---------------------------------------------------------------------
# Kinds the rules decide alone: the headline and its repeats are never the story's body, a second
# article is another story, corpus boilerplate was learned from the corpus itself, and the wording
# rules for appeals, comment forms, date lines, bylines, captions, footers and the standfirst right
# under the headline are right on ~98% of
# the labelled blocks of both data sets (bench/clean_train.py) and cost < 0.002 F1 as hard rules.
# Teaser runs are left to the classifier (a "Latest news" menu header above the article would take
# the article with it), except where the list follows the article's body (_teasers_after_body).
HARD_KINDS = frozenset(
    {"title", "title_repeat", "other_article", "corpus_boilerplate"}
    | {"appeal", "comments", "dateline_meta", "byline", "caption", "boilerplate", "standfirst"}
)


MIN_BODY_WORDS = 3  # a block this long that no wording rule named stays when nothing else is body


@dataclass(frozen=True, slots=True)
class Model:
    """Two stacked logistic regressions: stage 1 reads a block and its neighbours, stage 2 adds the
    stage-1 verdicts of the neighbourhood and of the page's core. Stage 2 can be blended with boosted
    trees (``bench/clean_train.py --trees N``); the shipped weights have none: trees fitted the
    training pages and lost on held-out ones (bench/README.md, cleaning)."""

    stage1: Linear
    stage2: Linear
    threshold: float  # p(body) a block needs to be body
    rule_threshold: float  # ... when a wording rule named it noise (a byline, a teaser list...)
    trees: Trees | None = None  # boosted trees over the stage-2 features (plain text) ...
    blend: float = 0.0  # ... and their share of p(body)

    def stage2_p(self, x2: np.ndarray) -> np.ndarray:
        """p(body) from the stage-2 features: the logistic regression, blended with the trees."""
        p2 = self.stage2.predict(x2)
        if self.trees is None:
            return p2
        return np.asarray((1.0 - self.blend) * p2 + self.blend * self.trees.predict(x2))


@cache
def load_model(mode: str) -> Model:
    """The weights for ``mode`` ("html" or "text"), trained by ``bench/clean_train.py``."""
    from wiretrace.clean_weights import MODELS

    if mode not in MODELS:
        raise ConfigError("clean", "mode", mode, f"one of {sorted(MODELS)} (the modes clean_weights.py has weights for)")
    m = MODELS[mode]
    stage1, stage2 = Linear.from_dict(m["stage1"]), Linear.from_dict(m["stage2"])
    if stage1.names != STAGE1 or stage2.names != STAGE1 + stage2_names(mode):
        raise ConfigError(
            "clean", "clean_weights.py", f"weights for other features ({mode})",
            "weights trained on clean_features.STAGE1/STAGE2 as they are now: run bench/clean_train.py",
        )
    threshold = float(m["threshold"])
    trees = Trees.from_dict(m["stage2_trees"]) if m.get("stage2_trees") else None
    if trees is not None and trees.names != stage2.names:
        raise ConfigError("clean", "clean_weights.py", f"trees for other features ({mode})", "run bench/clean_train.py")
    return Model(stage1, stage2, threshold, float(m.get("rule_threshold", threshold)), trees, float(m.get("blend", 0.0)))


@cache
def load_lexicon() -> dict[str, float]:
    """Words and how much they lean to noise (< 0) or body (> 0), learned with the classifier."""
    from wiretrace import clean_weights
    return dict(getattr(clean_weights, "LEXICON", {}))


_PHRASES = {
    "hinted": ("inside the markup's main content", "outside the markup's main content"),
    "hint_w3": ("among main-content blocks", "far from main-content blocks"),
    "hint_w10": ("in a main-content region", "outside the main-content region"),
    "in_hint_range": ("between main-content blocks", "before or after the main content"),
    "hint_prev": ("after a main-content block", "not after a main-content block"),
    "hint_next": ("before a main-content block", "not before a main-content block"),
    "lw": ("long", "short"),
    "lc": ("long", "short"),
    "stop": ("many function words (prose)", "few function words (not prose)"),
    "stop_n": ("many function words (prose)", "few function words (not prose)"),
    "term": ("ends like a sentence", "no sentence end"),
    "run_short": ("in a run of short lines (menu, list)", "not in a run of short lines"),
    "run_prose": ("in a run of prose paragraphs", "not in a run of prose"),
    "coh": ("on the page's topic", "off the page's topic"),
    "coh2": ("on the page's topic", "off the page's topic"),
    "p1_w2": ("neighbours look like body", "neighbours look like noise"),
    "p1_w5": ("neighbourhood looks like body", "neighbourhood looks like noise"),
    "p1_prev": ("previous block looks like body", "previous block looks like noise"),
    "p1_next": ("next block looks like body", "next block looks like noise"),
    "in_region": ("inside the page's main run of body", "outside the page's main run of body"),
    "region_dist": ("far from the page's main run of body", "near the page's main run of body"),
    "dup": ("repeated on the page", "not repeated on the page"),
    "p1": ("looks like body on its own", "looks like noise on its own"),
    "lex_mean": ("words of article prose", "words of page furniture"),
    "lex_w3": ("among words of article prose", "among words of page furniture"),
    "lex_max": ("some words of article prose", "no words of article prose"),
    "lex_min": ("no words of page furniture", "some words of page furniture"),
}


def _describe(name: str, value: float) -> str:
    if name.startswith("k_"):
        return f"rules say {name[2:]}" if value else f"rules say nothing of {name[2:]}"
    if name.startswith("c_"):
        return f"{name[2:]} wording" if value else f"no {name[2:]} wording"
    high, low = _PHRASES.get(name, (f"high {name}", f"low {name}"))
    return high if value > _HIGH.get(name, 0.5) else low


# Where a feature's value turns from "low" to "high" in the words of _PHRASES (log-scaled counts).
_HIGH = {"lw": 2.2, "lc": 4.1, "stop_n": 1.6, "run_short": 1.4, "run_prose": 1.1, "region_dist": 1.1}
_HIGH |= {"hint_dist": 1.1, "title_dist": 1.1, "lex_mean": 0.0, "lex_max": 0.0, "lex_min": 0.0, "lex_w3": 0.0}


# --- per-document cleaning -----------------------------------------------------------------------
@dataclass(slots=True)
class _Block:
    start: int
    end: int
    text: str
    n_words: int
    kind: str = ""
    reason: str = ""
    hinted: bool = False
    rule: str = ""  # the kind the wording rules gave, kept after the classifier's verdict
    sure: bool = False  # the wording rule alone decides (a kind outside HARD_KINDS, named by an unambiguous line)


def _is_prose(b: _Block) -> bool:
    return b.n_words >= 12 and bool(TERMINAL.search(b.text))


def _is_headline(b: _Block) -> bool:
    return 3 <= b.n_words <= 16 and not TERMINAL.search(b.text) and b.text[:1].isupper()


def _same_title(text: str, title: str | None) -> bool:
    if not title:
        return False
    t = " ".join(META_PREFIX.sub("", title).casefold().split())
    x = " ".join(META_PREFIX.sub("", text).casefold().split())
    return x == t


@dataclass(slots=True)
class Analysis:
    """A document cut into blocks, with the rule pass's kinds and the classifier's features."""

    blocks: list[_Block]
    mode: str  # "html" when the page came with markup hints, else "text"
    features: PageFeatures  # stage-1 features, one row per block (clean_features.STAGE1)
    infos: list[BlockInfo]  # what the features were computed from


def analyse(
    doc: Document,
    config: CleanConfig | None = None,
    boilerplate: frozenset[str] = frozenset(),
    lexicon: Mapping[str, float] | None = None,
) -> Analysis:
    """Blocks of a document, the kinds the wording rules give them, and the classifier's features.

    The rules name what a block would be if it is noise (a byline, a caption, a comment form...);
    the classifier then weighs those names with the block's shape, its neighbours and the markup.
    """
    config = config or CleanConfig()
    text = doc.text
    blocks = [_Block(s, e, text[s:e], _count_words(text, s, e)) for s, e in _doc_blocks(doc)]
    hints = sorted((h.start, h.end) for h in doc.hints if h.kind == "markup_body")
    if hints:
        starts = [s for s, _ in hints]
        for b in blocks:
            k = bisect_right(starts, b.end - 1) - 1  # the last hint starting inside or before the block
            b.hinted = k >= 0 and hints[k][1] > b.start
    if not blocks:
        return Analysis(blocks, "html" if hints else "text", stage1_features([], has_hints=False), [])
    first = blocks[0]
    # Without metadata, the first line is the headline only if it looks like one (not prose).
    title = doc.title or (first.text if first.n_words <= 30 and not first.text.rstrip().endswith(".") else None)
    _first_pass(blocks, title, boilerplate)
    _teaser_and_comment_runs(blocks)
    _second_article(blocks, title)
    infos = _infos(blocks)
    mode = "html" if hints else "text"
    lexicon = load_lexicon() if lexicon is None else lexicon
    return Analysis(blocks, mode, stage1_features(infos, has_hints=bool(hints), lexicon=lexicon), infos)


def _infos(blocks: list[_Block]) -> list[BlockInfo]:
    return [BlockInfo(b.text, b.n_words, b.kind, b.hinted) for b in blocks]


def clean(doc: Document, config: CleanConfig | None = None, boilerplate: frozenset[str] = frozenset()) -> Cleaned:
    """Segment one document into body and removed spans. Pure: same input, same output."""
    an = analyse(doc, config, boilerplate)
    if not an.blocks:
        return Cleaned(doc.id, ())
    p_body = _verdicts(an)
    if an.mode == "text":
        _detached_tail(an.blocks, p_body)
        _bridged_blocks(an.blocks, p_body)
    _teasers_after_body(an.blocks)
    _sandwiches(an.blocks, config or CleanConfig())
    segments: list[Segment] = []
    for b in an.blocks:
        segments.extend(_split_sentences(doc.text, b))
    return Cleaned(doc.id, tuple(segments))


def _verdicts(an: Analysis) -> np.ndarray:
    """Body or noise for every block the rules left open or named weakly, by the trained classifier.

    Blocks of ``HARD_KINDS`` (and lines a rule is sure of) stay as the rules say; every other block is body when the classifier's
    probability reaches the mode's threshold (``rule_threshold`` when a rule named it noise), else
    noise of the kind the rules named (``boilerplate`` when they named none). Returns p(body) per block.
    """
    model = load_model(an.mode)
    infos = an.infos
    for b in an.blocks:
        b.rule = b.kind
    x1 = an.features.x1
    p1 = model.stage1.predict(x1)
    x2 = np.hstack([x1, stage2_features(infos, an.features, p1, an.mode)])
    p2 = model.stage2_p(x2)
    contrib = model.stage2.contributions(x2)  # the logistic regression's, in words (the trees have none)
    for i, b in enumerate(an.blocks):
        if b.kind in HARD_KINDS or b.sure:
            b.kind = "boilerplate" if b.kind == "corpus_boilerplate" else b.kind
            continue
        body = p2[i] >= (model.rule_threshold if b.kind else model.threshold)
        why = _why(model.stage2.names, x2[i], contrib[i], body)
        if body:
            b.kind, b.reason = "body", f"classifier p(body)={p2[i]:.2f}: {why}"
        else:
            rule = f"{b.reason}; " if b.kind else ""
            b.kind = b.kind or "boilerplate"
            b.reason = f"{rule}classifier p(body)={p2[i]:.2f}: {why}"
    if not any(b.kind == "body" for b in an.blocks):
        # A document is not all page furniture. With no body left, the blocks no wording rule named
        # stay: a one-paragraph text has no neighbours to vouch for it, and a short wire notice
        # ("Qtly div 10 cts vs 10 cts / Pay April 1 / Record March 15") is made of lines that each
        # recur in the corpus, but not together.
        for i, b in enumerate(an.blocks):
            if b.rule in ("", "corpus_boilerplate") and b.n_words >= MIN_BODY_WORDS:
                why = "recurs in the corpus" if b.rule else f"classifier p(body)={p2[i]:.2f}"
                b.kind, b.reason = "body", f"{why}, but no other block of the document is body"
    return p2


# Plain-text context repairs (text mode only: in HTML mode the markup extractor's hints already say
# where the article ends). Measured on trafilatura-eval by bench/clean_eval.py: +0.006 F1 in text mode,
# on the training, test and eval-gate splits alike.
TAIL_GAP = 3  # noise blocks that separate two runs of body blocks
TAIL_SHARE = 0.25  # a run after the main one with at most this share of its words is detached
TAIL_KEEP = 0.97  # ... unless the classifier is this sure of a block
BRIDGE_FLOOR = 0.4  # p(body) a lone block between two body paragraphs needs to be body


def _body_runs(blocks: list[_Block], gap: int) -> list[list[int]]:
    """Indices of the body blocks, in runs split where more than ``gap`` blocks lie between two."""
    runs: list[list[int]] = []
    for i, b in enumerate(blocks):
        if b.kind != "body":
            continue
        if runs and i - runs[-1][-1] - 1 <= gap:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


def _detached_tail(blocks: list[_Block], p_body: np.ndarray) -> None:
    """Short runs of "body" after the article's main run, cut off from it by noise, are page
    furniture: an author's bio, a "this post was filed under" line, a pingback, a newsletter box.
    Plain text has no markup to say where the article ends; the gap of noise blocks says it."""
    runs = _body_runs(blocks, TAIL_GAP)
    if len(runs) < 2:
        return
    words = [sum(blocks[i].n_words for i in r) for r in runs]
    main = max(range(len(runs)), key=lambda k: words[k])
    for k in range(main + 1, len(runs)):
        if words[k] > TAIL_SHARE * words[main]:
            continue
        for i in runs[k]:
            if p_body[i] < TAIL_KEEP:
                blocks[i].kind = "boilerplate"
                blocks[i].reason = f"detached from the article's body by noise; {blocks[i].reason}"


def _bridged_blocks(blocks: list[_Block], p_body: np.ndarray) -> None:
    """A block no wording rule named, between two body paragraphs and not far below the classifier's
    threshold, is body: a recipe's ingredient line or a spec line inside the article."""
    body = [b.kind == "body" and _is_prose(b) for b in blocks]
    for i in range(1, len(blocks) - 1):
        b = blocks[i]
        if b.kind == "body" or b.rule or p_body[i] < BRIDGE_FLOOR or not (body[i - 1] and body[i + 1]):
            continue
        b.kind, b.reason = "body", f"between two body paragraphs; {b.reason}"


def _sandwiches(blocks: list[_Block], config: CleanConfig, max_run: int = 2) -> None:
    """A short run of body blocks between two appeal (or comment) blocks, off the page's topic, takes
    their kind: an appeal paragraph without appeal words, inside the appeal."""
    body = Counter[str]()
    for b in blocks:
        if b.kind == "body" and b.n_words >= 12:
            body.update(content_words(b.text))
    i = 1
    while i < len(blocks) - 1:
        if blocks[i].kind != "body" or blocks[i - 1].kind not in ("appeal", "comments"):
            i += 1
            continue
        j = i
        while j < len(blocks) and blocks[j].kind == "body":
            j += 1
        kind = blocks[i - 1].kind
        if j < len(blocks) and j - i <= max_run and blocks[j].kind == kind:
            for b in blocks[i:j]:
                cw = content_words(b.text)
                if cosine(cw, body - cw) < config.coherence_floor:
                    b.kind, b.reason = kind, f"between {kind} blocks and off the page's topic"
        i = j


def _teasers_after_body(blocks: list[_Block], min_prose: int = 2, min_headlines: float = 0.4) -> None:
    """A teaser-list header after the article's body ends the article: the list it heads is noise,
    when it looks like one (bullets or headlines for at least ``min_headlines`` of its items; a
    header followed by paragraphs is more likely a subheading of the article)."""
    prose = 0
    for i, b in enumerate(blocks):
        if b.kind == "body" and _is_prose(b):
            prose += 1
        if prose < min_prose or not TEASER_HEADER.match(b.text):
            continue
        run = []
        for c in blocks[i + 1 :]:
            if c.rule != "teasers":
                break
            run.append(c)
        listy = sum(1 for c in run if BULLET.match(c.text) or _is_headline(c))
        if run and listy < min_headlines * len(run):
            continue
        b.kind, b.reason = "teasers", "teaser-list header after the article's body"
        for c in run:
            c.kind, c.reason = "teasers", "item of a teaser list after the article's body"
        return


def _why(names: tuple[str, ...], row: np.ndarray, contrib: np.ndarray, body: bool) -> str:
    """The features that pushed hardest toward the verdict, in words."""
    order = np.argpartition(-contrib if body else contrib, 3)[:3] if len(contrib) > 3 else np.arange(len(contrib))
    order = order[np.argsort(-contrib[order] if body else contrib[order])]
    return ", ".join(_describe(names[j], row[j]) for j in order if (contrib[j] > 0) == body)


def _first_pass(blocks: list[_Block], title: str | None, boilerplate: frozenset[str]) -> None:
    seen_title = False
    for i, b in enumerate(blocks):
        t = b.text
        if block_key(t) in boilerplate:
            b.kind, b.reason = "corpus_boilerplate", "block recurs across unrelated documents of the corpus"
        elif _same_title(t, title):
            b.kind = "title_repeat" if seen_title else "title"
            b.reason = "repeats the headline" if seen_title else "the headline"
            seen_title = True
        elif META_PREFIX.match(t) and _same_title(t, title):
            b.kind, b.reason = "title", "date + headline line"
        elif b.n_words < 25 and (COMMENT_HEADER.match(t) or COMMENT_LINE.search(t)):
            b.kind, b.reason = "comments", "comment-form wording"
        elif TEASER_HEADER.match(t):
            b.kind, b.reason = "teasers", "teaser-list header"
        elif b.n_words <= 30 and INLINE_TEASER.match(t):
            b.kind, b.reason, b.sure = "teasers", "'read also' link line", True
        elif META_LINE.match(t) and b.n_words <= 12:
            b.kind, b.reason = "dateline_meta", "date / reading-time line"
        elif BYLINE.match(t) and b.n_words <= 6:
            b.kind, b.reason = "byline", "byline shape (By …, ALL-CAPS name, Name, outlet)"
        elif b.n_words <= 80 and CAPTION.search(t) and not t.startswith(("“", '"')):
            b.kind, b.reason = "caption", "photo caption / credit wording"
        elif b.n_words < 30 and FOOTER.search(t):
            b.kind, b.reason = "boilerplate", "footer / sharing / cookie wording"
        elif _appeal_share(t) >= 0.5:
            b.kind, b.reason = "appeal", "donation / subscription appeal wording"
        elif i <= 3 and seen_title and 8 <= b.n_words <= 40 and not TERMINAL.search(t) and _before_body(blocks, i):
            b.kind, b.reason = "standfirst", "summary line under the headline, no final stop"


def _before_body(blocks: list[_Block], i: int) -> bool:
    return all(b.kind in ("title", "title_repeat", "dateline_meta", "byline") for b in blocks[:i])


def _appeal_share(text: str) -> float:
    if not APPEAL.search(text):
        return 0.0
    sents = [text[s:e] for s, e in sentences(text)]
    if not sents:
        return 0.0
    return sum(1 for s in sents if _appeal_sentence(s)) / len(sents)


def _appeal_sentence(sent: str) -> bool:
    """Appeal wording that asks the reader: "your support", "Subscribe now". News prose uses the same
    words about third parties ("her contribution", "the service added subscribers")."""
    return bool(APPEAL.search(sent)) and bool(_READER.search(sent) or _IMPERATIVE.match(sent))


def _teaser_and_comment_runs(blocks: list[_Block]) -> None:
    """After a teaser or comment header, the rest of that list belongs to it."""
    i = 0
    while i < len(blocks):
        b = blocks[i]
        if b.kind == "comments" and COMMENT_HEADER.match(b.text):
            for c in blocks[i + 1 :]:
                if c.kind in ("", "boilerplate") and (c.n_words < 40 or COMMENT_LINE.search(c.text)):
                    c.kind, c.reason = "comments", "inside the comment form"
                elif c.kind != "comments":
                    break
        if b.kind == "teasers" and TEASER_HEADER.match(b.text):
            j = i + 1
            prev_bullet = False
            while j < len(blocks):
                c = blocks[j]
                if FOOTER.search(c.text):
                    break
                is_bullet = bool(BULLET.match(c.text))
                if c.kind in ("", "boilerplate", "dateline_meta", "byline", "caption") and (
                    is_bullet or prev_bullet or _is_headline(c) or c.n_words < 60
                ):
                    c.kind, c.reason = "teasers", "item of a teaser list"
                else:
                    break
                prev_bullet = is_bullet
                j += 1
            i = j
            continue
        i += 1
    # A run of three or more bullet headlines is a teaser list even without a header.
    run: list[_Block] = []
    for nb in [*blocks, None]:
        if nb is not None and nb.kind == "" and BULLET.match(nb.text) and not TERMINAL.search(nb.text):
            run.append(nb)
            continue
        if len(run) >= 3:
            for r in run:
                r.kind, r.reason = "teasers", "run of bullet headlines"
        run = []


def _second_article(blocks: list[_Block], title: str | None, min_run: int = 3) -> None:
    """A headline line followed by a byline, glued right after body paragraphs, starts another article.

    Its blocks run (at least ``min_run`` prose blocks) until one that names more of the first
    article's own people and places than of the second's. The page's story is the first one,
    the one the title heads. On a web page a headline + byline is mostly the page's own article
    header, so the second one must follow two prose paragraphs directly and differ from the title.
    """
    n = len(blocks)
    title_words = set(word_tokens(title)) if title else set()
    for i in range(2, n - 2):
        head, by = blocks[i], blocks[i + 1]
        if head.kind != "" or not _is_headline(head) or by.kind != "byline":
            continue
        if not all(_is_prose(b) and b.kind == "" for b in blocks[i - 2 : i]):
            continue
        head_words = set(word_tokens(head.text))
        if title_words and len(head_words & title_words) >= 0.5 * len(head_words | title_words):
            continue
        before = [b for b in blocks[:i] if b.kind == "" and b.n_words >= 12]
        lower_vocab = lower_vocabulary("\n".join(b.text for b in blocks))
        names_a: set[str] = set()
        for b in before:
            names_a |= names_in(b.text, lower_vocab)
        names_b = names_in(head.text, lower_vocab) | names_in(by.text, lower_vocab)
        taken, prose = [head, by], 0
        for c in blocks[i + 2 :]:
            if c.kind not in ("", "caption", "byline"):
                break
            cn = names_in(c.text, lower_vocab)
            if prose >= min_run and c.n_words >= 12 and len(cn & (names_a - names_b)) > len(cn & (names_b - names_a)):
                break
            names_b |= cn
            taken.append(c)
            prose += c.n_words >= 12
        if prose >= min_run:
            for b in taken:
                b.kind, b.reason = "other_article", f"second article headed {head.text[:60]!r} (headline + byline)"
        return


def _split_sentences(text: str, b: _Block) -> list[Segment]:
    """Split a block whose sentences disagree (noise glued to body) at the sentence boundary."""
    if b.kind not in ("body", "appeal"):
        return [Segment(b.start, b.end, b.kind, b.reason)]
    if b.kind == "body" and len(b.text) <= MAX_SENTENCE_CHARS and not APPEAL.search(b.text):
        # No appeal wording in the block, so none in any of its sentences (each starts and ends
        # beside white space or punctuation: a block this short is not cut inside a word): a body
        # block splits only at an appeal sentence, so it stays whole without splitting it.
        return [Segment(b.start, b.end, b.kind, b.reason)]
    sents = _block_sentences(b)
    if len(sents) < 2:
        return [Segment(b.start, b.end, b.kind, b.reason)]
    verdicts = ["appeal" if APPEAL.search(text[s:e]) else "body" for s, e in sents]
    if b.kind == "body":
        # Only the edges of a body block are split off: an appeal inside prose is likely a quote.
        # And only sentences that ask the reader (or that a scraper glued on): "Bellman's
        # contribution is remembered..." has an appeal word and is prose.
        lo, hi = 0, len(sents)
        while lo < hi and verdicts[lo] == "appeal" and _asks_reader(text, sents, lo):
            lo += 1
        while hi > lo and verdicts[hi - 1] == "appeal" and _asks_reader(text, sents, hi - 1):
            hi -= 1
        verdicts = ["appeal" if (k < lo or k >= hi) else "body" for k in range(len(sents))]
    else:
        # An appeal block ending in prose: the trailing run of sentences without appeal wording is
        # body when it is glued on (no space: a scraper joined two blocks) or long.
        k = len(sents)
        while k > 0 and verdicts[k - 1] == "body":
            k -= 1
        if not 0 < k < len(sents) or not _glued_or_long(text, (sents[k][0], sents[-1][1])):
            return [Segment(b.start, b.end, b.kind, b.reason)]
        verdicts = ["appeal"] * k + ["body"] * (len(sents) - k)
    if len(set(verdicts)) == 1:
        return [Segment(b.start, b.end, b.kind, b.reason)]
    out: list[Segment] = []
    for (s, e), v in zip(sents, verdicts, strict=True):
        why = "appeal sentence beside body prose" if v == "appeal" else "article prose after an appeal"
        if out and out[-1].kind == v:
            out[-1] = Segment(out[-1].start, e, v, out[-1].reason)
        else:
            out.append(Segment(s, e, v, why))
    return out


def _block_sentences(b: _Block) -> list[tuple[int, int]]:
    """Sentences of a block; the line breaks of a hard-wrapped paragraph do not end sentences."""
    flat = b.text.replace("\n", " ")  # same length: offsets stay
    return [(s + b.start, e + b.start) for s, e in sentences(flat)]


def _asks_reader(text: str, sents: list[tuple[int, int]], k: int) -> bool:
    """An appeal sentence at a body block's edge: it speaks to the reader, or is glued to its neighbour."""
    s, e = sents[k]
    if _appeal_sentence(text[s:e]):
        return True
    glued_before = k > 0 and s > 0 and not text[s - 1].isspace()
    glued_after = k + 1 < len(sents) and not text[e].isspace()
    return glued_before or glued_after


def _glued_or_long(text: str, sent: tuple[int, int]) -> bool:
    """The last sentence of an appeal block is body if it is glued on (no space) or long prose."""
    s, e = sent
    return (s > 0 and not text[s - 1].isspace()) or len(word_tokens(text, s, e)) >= 20


def clean_batch(
    docs: Iterable[Document], config: CleanConfig | None = None, boilerplate: frozenset[str] = frozenset()
) -> list[Cleaned]:
    """Clean a batch (the unit a worker or a Spark partition runs)."""
    config = config or CleanConfig()
    return [clean(d, config, boilerplate) for d in docs]
