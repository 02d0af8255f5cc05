"""The rule pass: wording and position rules name what a block would be if it is noise.

The headline and its repeats, a standfirst, bylines, date / "min read" lines, captions, appeals,
comment forms, teaser lists, footers, a second article glued in (headline + byline right after body
paragraphs), and blocks the corpus showed to be boilerplate (``boilerplate.learn_boilerplate``). The
kinds of ``HARD_KINDS`` decide alone; the classifier weighs the others (``classifier.verdicts``).
"""

from __future__ import annotations

import re

from wiretrace.clean.blocks import TERMINAL, Block, block_key, is_headline, is_prose
from wiretrace.clean.prefilter import Guarded
from wiretrace.model import NoiseKind
from wiretrace.text.names import lower_vocabulary, names_in
from wiretrace.text.tokens import sentences, word_tokens

CORPUS_BOILERPLATE = "corpus_boilerplate"  # the rule pass's kind for learnt boilerplate (removed as boilerplate)

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
# The same searches behind their necessary literals (prefilter.Guarded: the same answers; most blocks
# hold none of the literals and are ruled out without running the pattern).
APPEAL_G = Guarded(APPEAL)
_COMMENT_LINE_G = Guarded(COMMENT_LINE)
_CAPTION_G = Guarded(CAPTION)
_FOOTER_G = Guarded(FOOTER)


# Kinds the rules decide alone: the headline and its repeats are never the story's body, a second
# article is another story, corpus boilerplate was learned from the corpus itself, and the wording
# rules for appeals, comment forms, date lines, bylines, captions, footers and the standfirst right
# under the headline are right on ~98% of
# the labelled blocks of both data sets (bench/clean_train.py) and cost < 0.002 F1 as hard rules.
# Teaser runs are left to the classifier (a "Latest news" menu header above the article would take
# the article with it), except where the list follows the article's body (repairs.teasers_after_body).
HARD_KINDS: frozenset[str] = frozenset(
    {NoiseKind.TITLE, NoiseKind.TITLE_REPEAT, NoiseKind.OTHER_ARTICLE, CORPUS_BOILERPLATE}
    | {NoiseKind.APPEAL, NoiseKind.COMMENTS, NoiseKind.DATELINE_META, NoiseKind.BYLINE, NoiseKind.CAPTION}
    | {NoiseKind.BOILERPLATE, NoiseKind.STANDFIRST}
)


def _title_key(text: str) -> str:
    return " ".join(META_PREFIX.sub("", text).casefold().split())


def same_title(text: str, title: str | None) -> bool:
    if not title:
        return False
    return _title_key(text) == _title_key(title)


def first_pass(blocks: list[Block], title: str | None, boilerplate: frozenset[str]) -> None:
    seen_title = False
    title_key = _title_key(title) if title else None  # same_title(t, title), the title's side made once
    for i, b in enumerate(blocks):
        t = b.text
        low = t.lower()  # for the guards of the case-insensitive patterns (prefilter.Guarded)
        if boilerplate and block_key(t) in boilerplate:
            b.kind, b.reason = CORPUS_BOILERPLATE, "block recurs across unrelated documents of the corpus"
        elif title_key is not None and _title_key(t) == title_key:
            b.kind = NoiseKind.TITLE_REPEAT if seen_title else NoiseKind.TITLE
            b.reason = "repeats the headline" if seen_title else "the headline"
            seen_title = True
        elif META_PREFIX.match(t) and same_title(t, title):
            b.kind, b.reason = NoiseKind.TITLE, "date + headline line"
        elif b.n_words < 25 and (COMMENT_HEADER.match(t) or _COMMENT_LINE_G.search(t, low)):
            b.kind, b.reason = NoiseKind.COMMENTS, "comment-form wording"
        elif TEASER_HEADER.match(t):
            b.kind, b.reason = NoiseKind.TEASERS, "teaser-list header"
        elif b.n_words <= 30 and INLINE_TEASER.match(t):
            b.kind, b.reason, b.sure = NoiseKind.TEASERS, "'read also' link line", True
        elif META_LINE.match(t) and b.n_words <= 12:
            b.kind, b.reason = NoiseKind.DATELINE_META, "date / reading-time line"
        elif BYLINE.match(t) and b.n_words <= 6:
            b.kind, b.reason = NoiseKind.BYLINE, "byline shape (By …, ALL-CAPS name, Name, outlet)"
        elif b.n_words <= 80 and _CAPTION_G.search(t, low) and not t.startswith(("“", '"')):
            b.kind, b.reason = NoiseKind.CAPTION, "photo caption / credit wording"
        elif b.n_words < 30 and _FOOTER_G.search(t, low):
            b.kind, b.reason = NoiseKind.BOILERPLATE, "footer / sharing / cookie wording"
        elif appeal_share(t, low) >= 0.5:
            b.kind, b.reason = NoiseKind.APPEAL, "donation / subscription appeal wording"
        elif i <= 3 and seen_title and 8 <= b.n_words <= 40 and not TERMINAL.search(t) and before_body(blocks, i):
            b.kind, b.reason = NoiseKind.STANDFIRST, "summary line under the headline, no final stop"


def before_body(blocks: list[Block], i: int) -> bool:
    return all(b.kind in (NoiseKind.TITLE, NoiseKind.TITLE_REPEAT, NoiseKind.DATELINE_META, NoiseKind.BYLINE) for b in blocks[:i])


def appeal_share(text: str, low: str | None = None) -> float:
    if not APPEAL_G.search(text, low):
        return 0.0
    sents = [text[s:e] for s, e in sentences(text)]
    if not sents:
        return 0.0
    return sum(1 for s in sents if appeal_sentence(s)) / len(sents)


def appeal_sentence(sent: str) -> bool:
    """Appeal wording that asks the reader: "your support", "Subscribe now". News prose uses the same
    words about third parties ("her contribution", "the service added subscribers")."""
    return bool(APPEAL_G.search(sent)) and bool(_READER.search(sent) or _IMPERATIVE.match(sent))


def teaser_and_comment_runs(blocks: list[Block]) -> None:
    """After a teaser or comment header, the rest of that list belongs to it."""
    i = 0
    while i < len(blocks):
        b = blocks[i]
        if b.kind == NoiseKind.COMMENTS and COMMENT_HEADER.match(b.text):
            for c in blocks[i + 1 :]:
                if c.kind in ("", NoiseKind.BOILERPLATE) and (c.n_words < 40 or COMMENT_LINE.search(c.text)):
                    c.kind, c.reason = NoiseKind.COMMENTS, "inside the comment form"
                elif c.kind != NoiseKind.COMMENTS:
                    break
        if b.kind == NoiseKind.TEASERS and TEASER_HEADER.match(b.text):
            j = i + 1
            prev_bullet = False
            while j < len(blocks):
                c = blocks[j]
                if FOOTER.search(c.text):
                    break
                is_bullet = bool(BULLET.match(c.text))
                if c.kind in ("", NoiseKind.BOILERPLATE, NoiseKind.DATELINE_META, NoiseKind.BYLINE, NoiseKind.CAPTION) and (
                    is_bullet or prev_bullet or is_headline(c) or c.n_words < 60
                ):
                    c.kind, c.reason = NoiseKind.TEASERS, "item of a teaser list"
                else:
                    break
                prev_bullet = is_bullet
                j += 1
            i = j
            continue
        i += 1
    # A run of three or more bullet headlines is a teaser list even without a header.
    run: list[Block] = []
    for nb in [*blocks, None]:
        if nb is not None and nb.kind == "" and BULLET.match(nb.text) and not TERMINAL.search(nb.text):
            run.append(nb)
            continue
        if len(run) >= 3:
            for r in run:
                r.kind, r.reason = NoiseKind.TEASERS, "run of bullet headlines"
        run = []


def second_article(blocks: list[Block], title: str | None, min_run: int = 3) -> None:
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
        if head.kind != "" or not is_headline(head) or by.kind != NoiseKind.BYLINE:
            continue
        if not all(is_prose(b) and b.kind == "" for b in blocks[i - 2 : i]):
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
            if c.kind not in ("", NoiseKind.CAPTION, NoiseKind.BYLINE):
                break
            cn = names_in(c.text, lower_vocab)
            if prose >= min_run and c.n_words >= 12 and len(cn & (names_a - names_b)) > len(cn & (names_b - names_a)):
                break
            names_b |= cn
            taken.append(c)
            prose += c.n_words >= 12
        if prose >= min_run:
            for b in taken:
                b.kind, b.reason = NoiseKind.OTHER_ARTICLE, f"second article headed {head.text[:60]!r} (headline + byline)"
        return
