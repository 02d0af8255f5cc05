"""What the cleaner's classifier sees of a block: shape, wording cues, context and markup hints.

Every feature is language-independent or has cues in the languages of the pages we measure on
(English, German, French, Spanish, Polish, ...). Stop-word density uses jusText's stop lists (a
dependency of trafilatura) for the page's language, picked from a few function words. Features are
plain floats in a fixed order (``STAGE1`` then ``STAGE2``); the weights that read them live in
``clean_weights.py``, written by ``bench/clean_train.py``.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from wiretrace.model import NOISE_KINDS
from wiretrace.text.names import STOP
from wiretrace.text.tokens import words

# --- wording cues, several languages; matched against the lower-cased block (2-3x faster than re.I) --
COMMENT_CUE = re.compile(
    r"(\b(says|sagt|schreibt|dit|disse|dice|napisał[a]?|pisze)\s*:\s*$|\b(reply|antworten|répondre|responder|rispondi|"
    r"odpowiedz|beantworten)\b\s*$|^(reply|antworten|répondre|responder|odpowiedz)\b|"
    r"\b(leave a (reply|comment)|kommentar (verfassen|schreiben|hinterlassen|abschicken)|schreibe einen kommentar|"
    r"laisser un commentaire|deja un comentario|dodaj komentarz|skomentuj|"
    r"will not be published|wird nicht veröffentlicht|ne sera pas publiée|no será publicada|nie zostanie opublikowany|"
    r"required fields|pflichtfelder|champs obligatoires|"
    r"\d+\s+(comments?|kommentare?|commentaires?|comentarios?|komentarz[ey]?|antworten)\b|"
    r"(comments?|kommentare|commentaires|comentarios|komentarze)\s*(\(\d+\))?\s*$))"
)
APPEAL_CUE = re.compile(
    r"\b(subscri(be|ption|ber)|newsletter|donat(e|ion)|support (us|our)|sign up|paywall|"
    r"abonn(ieren|ement|ez|er)|abo\b|jetzt (testen|lesen|bestellen|kaufen|abonnieren)|spenden|unterstützen sie|"
    r"s'abonner|faire un don|soutenez|suscr[ií]b|suscripción|subskryb|prenumerat|wesprzyj|"
    r"registrieren|anmelden|einloggen|log ?in|sign in|se connecter|zaloguj|iniciar sesión)"
)
LEGAL_CUE = re.compile(
    r"(©|\(c\)\s*\d{4}|\bcopyright\b|all rights reserved|alle rechte vorbehalten|tous droits réservés|"
    r"todos los derechos|wszelkie prawa|\bimpressum\b|datenschutz|\bprivacy\b|\bcookies?\b|\bagb\b|"
    r"nutzungsbedingungen|terms (of|and) (use|service)|mentions légales|confidentialité|polityka prywatności|"
    r"regulamin|aviso legal|política de privacidad|\bsitemap\b|barrierefreiheit|haftungsausschluss|disclaimer)"
)
SHARE_CUE = re.compile(
    r"^\W*(share|teilen|partager|compartir|udostępnij|condividi|tweet|twitter|facebook|whatsapp|pinterest|"
    r"linkedin|xing|telegram|reddit|tumblr|e-?mail|drucken|print|imprimer|drukuj|imprimir|flipboard|pocket|"
    r"mastodon|instagram|youtube|rss|feed|weiterleiten|versenden|empfehlen|merken|kopieren|copy link|link kopieren)\b"
)
NAV_CUE = re.compile(
    r"^\W*(home|startseite|start|accueil|inicio|strona główna|menu|menü|navigation|suche|search|recherche|buscar|"
    r"szukaj|cerca|kontakt|contact|contacto|über uns|about( us)?|à propos|o nas|archiv|archive|archives|"
    r"zurück|back|retour|volver|wstecz|weiter|next|suivant|siguiente|dalej|mehr|more|plus|más|więcej|"
    r"nach oben|back to top|haut de page|zum inhalt springen|skip to (main )?content|aller au contenu|"
    r"login|logout|anmelden|abmelden|registrieren|sign in|sign up|connexion|zaloguj)\W*$"
)
TEASER_CUE = re.compile(
    r"(\b(read more|weiterlesen|mehr lesen|mehr erfahren|zum artikel|lire la suite|en savoir plus|leer más|"
    r"seguir leyendo|czytaj (więcej|dalej|też|także)|zobacz (też|także|również)|continue reading|"
    r"related( posts| articles| stories)?|you (may|might) also like|das könnte (sie|dich) auch interessieren|"
    r"mehr zum thema|weitere (artikel|beiträge|nachrichten|themen|meldungen)|ähnliche (beiträge|artikel)|"
    r"verwandte (artikel|beiträge)|auch interessant|lesen sie auch|lies auch|à lire aussi|lire aussi|voir aussi|"
    r"sur le même sujet|te puede interesar|noticias relacionadas|artículos relacionados|popular|most read|"
    r"meistgelesen|beliebte? (beiträge|artikel)|neueste (beiträge|artikel)|aktuelle (beiträge|artikel)|"
    r"letzte (beiträge|artikel)|recent posts|previous (post|article)|next (post|article)|"
    r"vorheriger (beitrag|artikel)|nächster (beitrag|artikel)|article (précédent|suivant)|"
    r"poprzedni (wpis|artykuł)|następny (wpis|artykuł))\b|^\s*[«‹←]|[»›→]\s*$)"
)
_MONTHS = (
    r"(jan(uary|uar|vier)?|feb(ruary|ruar)?|févr(ier)?|mar(ch|s)?|märz|apr(il)?|avr(il)?|may|mai|jun[ei]?|juin|"
    r"jul[iy]?|juil(let)?|aug(ust)?|août|sep(t|tember|tembre)?|oct(ober|obre)?|okt(ober)?|nov(ember|embre)?|"
    r"de[cz](ember|embre)?|déc(embre)?|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|"
    r"noviembre|diciembre|stycz\w*|lut\w*|marc\w*|kwie\w*|maj\w*|czerw\w*|lip\w*|sierp\w*|wrze\w*|paźdz\w*|"
    r"listop\w*|grud\w*)\.?"
)
DATE_ANY = re.compile(
    rf"(\b\d{{1,2}}[./-]\d{{1,2}}[./-]\d{{2,4}}\b|\b\d{{4}}-\d{{2}}-\d{{2}}\b|\b\d{{1,2}}\.?\s+{_MONTHS}\s+\d{{4}}\b|"
    rf"\b{_MONTHS}\s+\d{{1,2}},?\s+\d{{4}}\b|\b\d{{1,2}}[:.h]\d{{2}}\s*(uhr|h|am|pm|a\.m\.|p\.m\.)?(?!\d))"
)
READ_TIME = re.compile(
    r"\b\d+\s*(-|\s)?\s*(min(ute)?s?\.?\s*(read|lesezeit|de lecture|czytania|de lectura)|minuten?\s*lesezeit)|"
    r"\b(lesezeit|reading time|temps de lecture|czas czytania|tiempo de lectura)\b"
)
BYLINE_CUE = re.compile(
    r"^(by|von|par|por|di|od|autor(in)?|author|text|written by|geschrieben von|publié par|"
    r"posted by|veröffentlicht von|redakcja|redaktion)\b\s*:?\s*\S"
)
CAPTION_CUE = re.compile(
    r"(\b(foto|photo|bild|image|fot|quelle|source|credit|crédit|grafik|abbildung|illustration)\s*:|"
    r"\(\s*(foto|photo|bild|fot|quelle)\b|\bgetty images\b|\bimago\b|\bdpa\b|\bshutterstock\b|\bistock\b|"
    r"\bafp\b|\breuters\b|\bap photo\b)"
)
AD_CUE = re.compile(r"^\W*(anzeige|werbung|advertisement|sponsored|publicité|reklama|publicidad|pubblicità|ad)\W*$")
TAGS_CUE = re.compile(
    r"^\W*(tags?|schlagwörter|schlagworte|stichwörter|kategorien?|categories|category|catégories?|mots-clés|"
    r"tagi|kategorie|etiquetas|filed under|posted in|veröffentlicht in|abgelegt unter|themen)\s*:"
)
TERMINAL = re.compile(r"[.!?…。！？][\"'”’»)\]]*$")
BULLET = re.compile(r"^[•·▪◦●►▸*\-–]\s+\S")
SEPARATOR = re.compile(r"\s[|·•/»›]\s|\s[|]|[|]\s")
URL_LIKE = re.compile(r"(https?://|www\.|\.(com|de|org|net|fr|pl|es|it|at|ch)\b|\S+@\S+\.\w{2,})")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_SENT_END = re.compile(r"[.!?…。！？](\s|$)")

# --- stop words: the page's language from a few function words, then jusText's list for it ------
_FUNCTION_WORDS = {
    "English": "the of and to in is that for it with as was on are be this by at from have not but",
    "German": "der die das und ist nicht mit von zu den im auf für sich des ein eine dem auch es als an wird bei",
    "French": "le la les et des est un une du en que qui dans pour pas sur au avec ce il sont par plus",
    "Spanish": "el la los las de y en que es un una por con para del se al lo como más pero sus",
    "Italian": "il la di che è e un una per non con del della sono le gli si anche come più ma",
    "Portuguese": "o a os as de e que em um uma para com não do da no na por mais se ao",
    "Dutch": "de het een en van is dat op te in met voor niet zijn er aan ook als bij door",
    "Polish": "i w na z się nie do to że jest o jak po co ale od za przez dla jego tak",
    "Czech": "a v se na je že s z do to o jako by ale pro jsou od po tak jeho nebo",
    "Russian": "и в не на что с как по это он из к но за то от его же все так",
    "Swedish": "och i att det som en är på för med av den till inte har de om ett var",
    "Danish": "og i at det som en er på for med af den til ikke har de om et var",
    "Norwegian_Bokmal": "og i at det som en er på for med av den til ikke har de om et var",
    "Finnish": "ja on ei se että oli hän mutta kun niin joka ovat myös tai sen kuin",
    "Hungarian": "a az és hogy nem is egy van meg de csak ez már mint volt el ki",
    "Turkish": "ve bir bu da de için ile olarak çok daha olan gibi en ama ne var",
    "Romanian": "și în de la cu a din pe nu că este un o care mai se sau pentru",
}
_FUNCTION_SETS = {lang: frozenset(ws.split()) for lang, ws in _FUNCTION_WORDS.items()}


@lru_cache(maxsize=32)
def stoplist(language: str) -> frozenset[str]:
    """jusText's stop words for ``language`` (tokens cleaned of punctuation), or the function words."""
    try:
        import justext

        raw = justext.get_stoplist(language)
    except Exception:  # noqa: BLE001 - a missing list only weakens one feature
        return _FUNCTION_SETS.get(language, frozenset())
    out = set()
    for w in raw:
        toks = words(w).tokens
        if len(toks) == 1:
            out.add(toks[0])
    return frozenset(out)


def page_language(tokens: Sequence[str]) -> str:
    """The language whose function words are most frequent among ``tokens`` (English when none)."""
    counts = Counter(tokens)
    best, score = "English", 0
    for lang, fw in _FUNCTION_SETS.items():
        s = sum(counts[w] for w in fw)
        if s > score:
            best, score = lang, s
    return best


# --- block features ------------------------------------------------------------------------------
# The kinds the wording rules name are the noise kinds of the data model (a feature each).
RULE_KINDS = NOISE_KINDS

LOCAL = (
    "lw", "lc", "stop", "stop_n", "term", "colon_end", "comma_rate", "sent_n", "cap_share", "digit_share",
    "punct_share", "sep", "bullet", "upper", "mean_wlen", "url", "cjk",
    "c_comment", "c_appeal", "c_legal", "c_share", "c_nav", "c_teaser", "c_date", "c_date_line", "c_read",
    "c_byline", "c_caption", "c_ad", "c_tags",
)  # fmt: skip
PAGE = (
    "dup", "pos", "after_title", "title_dist", "run_short", "run_prose",
    "lw_prev", "lw_next", "stop_prev", "stop_next", "term_prev", "term_next", "lw_w3", "stop_w3", "term_w3",
    "short_w3", "coh", "n_blocks", "doc_short", "doc_prose", "prose_before", "prose_after",
)  # fmt: skip
HINTS = (
    "hinted", "hint_prev", "hint_next", "hint_w3", "hint_w10", "in_hint_range", "hint_dist", "hint_share",
    "hinted_lw", "hinted_short", "unhinted_prose", "hint_before", "hint_after",
)  # fmt: skip
LEXICON = ("lex_mean", "lex_max", "lex_min", "lex_w3")
STAGE1 = LOCAL + tuple(f"k_{k}" for k in RULE_KINDS) + PAGE + HINTS + LEXICON
STAGE2 = ("p1", "p1_prev", "p1_next", "p1_w2", "p1_w5", "p1_max_before", "p1_max_after", "in_region",
          "region_dist", "body_share", "coh2")  # fmt: skip
# Plain text only (no markup hints to say where the article runs): where the block stands against the
# page's best body region, how it compares with the body's blocks, and the runs of like-shaped lines
# (an ingredient list, a spec table, a menu) it belongs to.
STAGE2_TEXT = (
    "before_region", "after_region", "region_words_dist", "region_share", "rel_len", "words_before",
    "kv", "kv_run", "qty", "qty_run", "capline", "capline_run",
)  # fmt: skip


def stage2_names(mode: str) -> tuple[str, ...]:
    """The stage-2 features of ``mode`` ("html" or "text"), after ``STAGE1``."""
    return STAGE2 + STAGE2_TEXT if mode == "text" else STAGE2


@dataclass(frozen=True, slots=True)
class BlockInfo:
    """What the features need of one block: its text, the rule pass's kind and the markup hint."""

    text: str
    n_words: int
    kind: str
    hinted: bool


_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)  # as tokens.words
_FOLD = str.maketrans({"’": "'", "‘": "'"})
_LETTER = re.compile(r"[^\W\d_]")
_DIGIT = re.compile(r"\d")


def tokens_of(text: str) -> list[str]:
    """The normalised word tokens of ``text`` (tokens.words without the offsets)."""
    if text.isascii():  # the fold is lower-casing, done once for the whole text
        return _WORD.findall(text.lower())
    return [t.translate(_FOLD).casefold() for t in _WORD.findall(text)]


def _content(toks: Sequence[str]) -> Counter[str]:
    return Counter(t for t in toks if len(t) > 2 and t not in STOP and not t.isdigit())


def _norm2(c: Counter[str]) -> float:
    return float(sum(v * v for v in c.values()))


def _cosines(cws: Sequence[Counter[str]], members: np.ndarray) -> np.ndarray:
    """Cosine of each block's content words with the sum over ``members`` (less the block itself)."""
    ref: Counter[str] = Counter()
    for j in np.flatnonzero(members).tolist():
        ref.update(cws[j])
    ref_n2 = _norm2(ref)
    out = np.zeros(len(cws))
    if not ref_n2:
        return out
    for i, cw in enumerate(cws):
        if not cw:
            continue
        a2 = _norm2(cw)
        dot = float(sum(v * ref.get(k, 0) for k, v in cw.items()))
        if members[i]:  # the block is part of the reference: compare with the rest
            rest2 = ref_n2 - 2 * dot + a2
            dot -= a2
        else:
            rest2 = ref_n2
        if dot > 0 and rest2 > 0:
            out[i] = dot / math.sqrt(a2 * rest2)
    return out


def _local(text: str, toks: Sequence[str], stops: frozenset[str]) -> list[float]:
    low = text.lower()
    n_words = len(toks)
    n_chars = len(text)
    letters = len(_LETTER.findall(text))
    digits = len(_DIGIT.findall(text))
    spaces = text.count(" ")
    punct = n_chars - letters - digits - spaces
    n_stop = sum(1 for t in toks if t in stops)
    split = text.split()
    caps = sum(1 for w in split if w[:1].isupper())
    words_ws = max(1, len(split))
    cjk = len(_CJK.findall(text)) / n_chars if n_chars and not text.isascii() else 0.0
    stripped = text.rstrip()
    # wording cues are looked for only in blocks short enough to be what they name (and to be quick)
    short = n_words <= 12
    medium = n_words <= 40
    has_date = bool(DATE_ANY.search(low)) if medium else False
    return [
        math.log1p(n_words),
        math.log1p(n_chars),
        n_stop / n_words if n_words else 0.0,
        math.log1p(n_stop),
        1.0 if TERMINAL.search(stripped) else 0.0,
        1.0 if stripped.endswith(":") else 0.0,
        text.count(",") / max(1, n_words),
        math.log1p(len(_SENT_END.findall(text))),
        caps / words_ws,
        digits / n_chars if n_chars else 0.0,
        punct / n_chars if n_chars else 0.0,
        1.0 if SEPARATOR.search(text) else 0.0,
        1.0 if BULLET.match(text) else 0.0,
        1.0 if letters >= 4 and text.upper() == text else 0.0,
        min(15.0, sum(len(t) for t in toks) / n_words) / 10 if n_words else 0.0,
        1.0 if medium and URL_LIKE.search(low) else 0.0,
        cjk,
        1.0 if n_words <= 25 and COMMENT_CUE.search(low) else 0.0,
        1.0 if n_words <= 60 and APPEAL_CUE.search(low) else 0.0,
        1.0 if medium and LEGAL_CUE.search(low) else 0.0,
        1.0 if n_words <= 6 and SHARE_CUE.match(low) else 0.0,
        1.0 if short and NAV_CUE.match(low) else 0.0,
        1.0 if n_words <= 25 and TEASER_CUE.search(low) else 0.0,
        1.0 if has_date else 0.0,
        1.0 if has_date and n_words <= 10 else 0.0,
        1.0 if n_words <= 40 and READ_TIME.search(low) else 0.0,
        1.0 if short and BYLINE_CUE.match(low) else 0.0,
        1.0 if n_words <= 60 and CAPTION_CUE.search(low) else 0.0,
        1.0 if short and AD_CUE.match(low) else 0.0,
        1.0 if short and TAGS_CUE.match(low) else 0.0,
    ]


def _window_mean(values: np.ndarray, radius: int, include_self: bool = False) -> np.ndarray:
    """Mean of ``values`` over ``[i - radius, i + radius]`` (without i unless ``include_self``)."""
    n = len(values)
    c = np.concatenate([[0.0], np.cumsum(values)])
    idx = np.arange(n)
    lo = np.maximum(0, idx - radius)
    hi = np.minimum(n, idx + radius + 1)
    total = c[hi] - c[lo]
    count = (hi - lo).astype(float)
    if not include_self:
        total = total - values
        count = count - 1
    return np.where(count > 0, total / np.maximum(count, 1), 0.0)


def _runs(flags: np.ndarray) -> np.ndarray:
    """For each position, the length of the run of True values it belongs to (0 where False)."""
    out = np.zeros(len(flags))
    i = 0
    n = len(flags)
    while i < n:
        if not flags[i]:
            i += 1
            continue
        j = i
        while j < n and flags[j]:
            j += 1
        out[i:j] = j - i
        i = j
    return out


@dataclass(frozen=True, slots=True)
class PageFeatures:
    """Stage-1 features of a document's blocks, with what stage 2 reuses."""

    x1: np.ndarray  # (blocks, len(STAGE1))
    content: tuple[Counter[str], ...]  # content words per block
    tokens: tuple[list[str], ...]  # word tokens per block


def lexicon_words(toks: Sequence[str]) -> set[str]:
    """The tokens of a block that a lexicon may hold: words, not numbers."""
    return {t for t in toks if len(t) > 1 and not t.isdigit()}


def lexicon_features(toks: Sequence[Sequence[str]], lexicon: Mapping[str, float]) -> np.ndarray:
    """``LEXICON`` features: how much each block's words lean to noise (< 0) or body (> 0), from the
    lexicon learned on the labelled training blocks (bench/clean_train.py)."""
    n = len(toks)
    out = np.zeros((n, len(LEXICON)))
    if not lexicon:
        return out
    for i, ts in enumerate(toks):
        vals = [lexicon.get(t, 0.0) for t in lexicon_words(ts)]
        if vals:
            out[i, 0] = sum(vals) / len(vals)
            out[i, 1] = max(vals)
            out[i, 2] = min(vals)
    out[:, 3] = _window_mean(out[:, 0], 3)
    return out


def stage1_features(
    blocks: Sequence[BlockInfo], has_hints: bool, lexicon: Mapping[str, float] | None = None
) -> PageFeatures:
    """The ``STAGE1`` features of every block of one document."""
    n = len(blocks)
    if n == 0:
        return PageFeatures(np.zeros((0, len(STAGE1))), (), ())
    toks = [tokens_of(b.text) for b in blocks]
    lang = page_language([t for ts in toks for t in ts])
    stops = stoplist(lang)
    local = np.array([_local(b.text, ts, stops) for b, ts in zip(blocks, toks, strict=True)])
    kinds = np.array([[1.0 if b.kind == k else 0.0 for k in RULE_KINDS] for b in blocks])
    lw, stop, term = local[:, 0], local[:, 2], local[:, 4]
    n_words = np.array([b.n_words for b in blocks], dtype=float)
    short = n_words < 6
    prose = (n_words >= 10) & (term > 0)
    keys = [" ".join(b.text.casefold().split()) for b in blocks]
    key_count = Counter(keys)
    titles = [i for i, b in enumerate(blocks) if b.kind == "title"]
    t0 = titles[0] if titles else -1
    hinted = np.array([1.0 if b.hinted else 0.0 for b in blocks])
    # topic reference: the hinted text (markup) or the page's prose blocks (plain text)
    ref_mask = hinted > 0 if has_hints and hinted.any() else prose
    cws = tuple(_content(ts) for ts in toks)
    coh = _cosines(cws, ref_mask)
    idx = np.arange(n)
    page = np.column_stack(
        [
            [1.0 if key_count[k] > 1 else 0.0 for k in keys],
            idx / max(1, n - 1),
            (idx > t0).astype(float) if t0 >= 0 else np.full(n, 0.5),
            np.log1p(np.abs(idx - t0)) if t0 >= 0 else np.full(n, 3.0),
            np.log1p(_runs(short)),
            np.log1p(_runs(prose)),
            _shift_prev(lw),
            _shift_next(lw),
            _shift_prev(stop),
            _shift_next(stop),
            _shift_prev(term),
            _shift_next(term),
            _window_mean(lw, 3),
            _window_mean(stop, 3),
            _window_mean(term, 3),
            _window_mean(short.astype(float), 3),
            coh,
            np.full(n, math.log1p(n)),
            np.full(n, short.mean()),
            np.full(n, prose.mean()),
            np.log1p(np.cumsum(prose) - prose),  # prose blocks before this one: where the article stands
            np.log1p(prose.sum() - np.cumsum(prose)),  # ... and after it (a bio or promo closes it)
        ]
    )
    if has_hints and hinted.any():
        hi = np.flatnonzero(hinted)
        # distance to the nearest hinted block, both directions, in one pass each way
        pos = np.searchsorted(hi, idx)
        left = np.where(pos > 0, idx - hi[np.maximum(pos - 1, 0)], n)
        right = np.where(pos < len(hi), hi[np.minimum(pos, len(hi) - 1)] - idx, n)
        dist = np.minimum(left, right)
        total_words = max(1.0, n_words.sum())
        hint_feats = np.column_stack(
            [
                hinted,
                _shift_prev(hinted),
                _shift_next(hinted),
                _window_mean(hinted, 3),
                _window_mean(hinted, 10),
                ((idx >= hi[0]) & (idx <= hi[-1])).astype(float),
                np.log1p(dist),
                np.full(n, (n_words * hinted).sum() / total_words),
                hinted * lw,
                hinted * short,
                (1 - hinted) * prose,
                np.log1p(np.cumsum(hinted) - hinted),
                np.log1p(hinted.sum() - np.cumsum(hinted)),
            ]
        )
    else:
        hint_feats = np.zeros((n, len(HINTS)))
    lex = lexicon_features(toks, lexicon or {})
    return PageFeatures(np.hstack([local, kinds, page, hint_feats, lex]), cws, tuple(toks))


def _shift_prev(a: np.ndarray) -> np.ndarray:
    return np.concatenate([[0.0], a[:-1]])


def _shift_next(a: np.ndarray) -> np.ndarray:
    return np.concatenate([a[1:], [0.0]])


def _window_max(values: np.ndarray, before: int, after: int) -> np.ndarray:
    """Max of ``values`` over the ``before`` blocks before i (or the ``after`` blocks after it)."""
    n = len(values)
    padded = np.concatenate([np.zeros(max(before, after)), values, np.zeros(max(before, after))])
    off = max(before, after)
    out = np.zeros(n)
    if before:
        for k in range(1, before + 1):
            out = np.maximum(out, padded[off - k : off - k + n])
    if after:
        for k in range(1, after + 1):
            out = np.maximum(out, padded[off + k : off + k + n])
    return out


def best_region(score: np.ndarray) -> tuple[int, int]:
    """``[lo, hi)`` of the contiguous run of blocks with the largest sum of ``score`` (max subarray)."""
    best, best_lo, best_hi = 0.0, 0, 0
    cur, cur_lo = 0.0, 0
    for i, s in enumerate(score.tolist()):
        if cur <= 0:
            cur, cur_lo = 0.0, i
        cur += s
        if cur > best:
            best, best_lo, best_hi = cur, cur_lo, i + 1
    return best_lo, best_hi


def stage2_features(blocks: Sequence[BlockInfo], page: PageFeatures, p1: np.ndarray, mode: str = "html") -> np.ndarray:
    """The ``stage2_names(mode)`` features: the stage-1 verdicts of the neighbourhood and of the page's core."""
    n = len(blocks)
    names = stage2_names(mode)
    if n == 0:
        return np.zeros((0, len(names)))
    idx = np.arange(n)
    lw = page.x1[:, 0]
    lo, hi = best_region((p1 - 0.5) * (1.0 + lw))
    in_region = ((idx >= lo) & (idx < hi)).astype(float)
    dist = np.where(idx < lo, lo - idx, np.where(idx >= hi, idx - hi + 1, 0))
    n_words = np.array([b.n_words for b in blocks], dtype=float)
    body_share = float((n_words * (p1 > 0.5)).sum() / max(1.0, n_words.sum()))
    base = np.column_stack(
        [
            p1,
            _shift_prev(p1),
            _shift_next(p1),
            _window_mean(p1, 2),
            _window_mean(p1, 5),
            _window_max(p1, 5, 0),
            _window_max(p1, 0, 5),
            in_region,
            np.log1p(dist),
            np.full(n, body_share),
            _cosines(page.content, p1 > 0.5),
        ]
    )
    if mode != "text":
        return base
    return np.hstack([base, _text_context(blocks, p1, n_words, lo, hi)])


_KEY_VALUE = re.compile(r"^[^\W\d_][^:]{0,40}:\s*\S")
_QUANTITY = re.compile(r"^\W{0,3}(\d+([.,/]\d+)?|[½¼¾⅓⅔]|\d+\s*[-–]\s*\d+)\s*\S|\d\s*(%|€|\$|£|kg|g|ml|l|cm|mm|m|km|min|h|gb|mb)\b")


def _line_shapes(blocks: Sequence[BlockInfo]) -> np.ndarray:
    """Per block: a "Label: value" line, a quantity line ("200 g flour", "5 GB"), a short capitalised
    line (a heading, a menu item), each only for short blocks (<= 12 words)."""
    out = np.zeros((len(blocks), 3))
    for i, b in enumerate(blocks):
        if b.n_words > 12:
            continue
        t = b.text.strip()
        low = t.lower()
        out[i, 0] = 1.0 if _KEY_VALUE.match(t) else 0.0
        out[i, 1] = 1.0 if _QUANTITY.search(low) else 0.0
        out[i, 2] = 1.0 if t[:1].isupper() and not TERMINAL.search(t) and b.n_words <= 8 else 0.0
    return out


def _text_context(blocks: Sequence[BlockInfo], p1: np.ndarray, n_words: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """The ``STAGE2_TEXT`` columns of a page whose best body region is blocks ``[lo, hi)``."""
    n = len(blocks)
    idx = np.arange(n)
    total = max(1.0, float(n_words.sum()))
    cum = np.cumsum(n_words)
    before = cum - n_words  # words before each block
    if hi > lo:
        start_w, end_w = float(before[lo]), float(cum[hi - 1])
    else:
        start_w = end_w = 0.0
    words_dist = np.where(idx < lo, start_w - cum, np.where(idx >= hi, before - end_w, 0.0))
    cand = n_words[p1 > 0.5]
    med = float(np.median(cand)) if len(cand) else max(1.0, float(np.median(n_words)))
    shapes = _line_shapes(blocks)
    cols = {
        "before_region": (idx < lo).astype(float),
        "after_region": (idx >= hi).astype(float),
        "region_words_dist": np.log1p(np.maximum(0.0, words_dist)),
        "region_share": np.full(n, (end_w - start_w) / total),
        "rel_len": np.log((1.0 + n_words) / (1.0 + med)),
        "words_before": before / total,
        "kv": shapes[:, 0],
        "kv_run": np.log1p(_runs(shapes[:, 0] > 0)),
        "qty": shapes[:, 1],
        "qty_run": np.log1p(_runs(shapes[:, 1] > 0)),
        "capline": shapes[:, 2],
        "capline_run": np.log1p(_runs(shapes[:, 2] > 0)),
    }
    return np.column_stack([cols[name] for name in STAGE2_TEXT])


# --- the model -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Linear:
    """A small network over standardised features: ``z = (x - mean) / scale``; with hidden units
    ``sigmoid(tanh(z @ w1 + b1) @ w + b)``, without them a logistic regression ``sigmoid(z @ w + b)``."""

    names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    w: np.ndarray
    b: float
    w1: np.ndarray | None = None  # (features, hidden)
    b1: np.ndarray | None = None

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Linear:
        names = tuple(str(n) for n in d["names"])
        w1 = np.asarray(d["w1"], dtype=float) if d.get("w1") is not None else None
        b1 = np.asarray(d["b1"], dtype=float) if d.get("b1") is not None else None
        return cls(
            names,
            np.asarray(d["mean"], dtype=float),
            np.asarray(d["scale"], dtype=float),
            np.asarray(d["w"], dtype=float),
            float(d["b"]),
            w1,
            b1,
        )

    def to_dict(self) -> dict[str, object]:
        def r(a: np.ndarray) -> object:
            return np.round(a.astype(float), 5).tolist()

        out: dict[str, object] = {"names": list(self.names), "mean": r(self.mean), "scale": r(self.scale), "w": r(self.w), "b": round(self.b, 6)}
        if self.w1 is not None and self.b1 is not None:
            out["w1"], out["b1"] = r(self.w1), r(self.b1)
        return out

    def _z(self, x: np.ndarray) -> np.ndarray:
        return np.asarray((x - self.mean) / self.scale)

    def logits(self, x: np.ndarray) -> np.ndarray:
        z = self._z(x)
        if self.w1 is not None and self.b1 is not None:
            z = np.tanh(z @ self.w1 + self.b1)
        return np.asarray(z @ self.w + self.b)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(1.0 / (1.0 + np.exp(-np.clip(self.logits(x), -30, 30))))

    def contributions(self, x: np.ndarray) -> np.ndarray:
        """Each feature's push on each row's logit (gradient times input): what decided, for ``explain``."""
        z = self._z(x)
        if self.w1 is None or self.b1 is None:
            return np.asarray(z * self.w)
        h = np.tanh(z @ self.w1 + self.b1)
        grad = ((1 - h * h) * self.w) @ self.w1.T
        return np.asarray(z * grad)


@dataclass(frozen=True, slots=True)
class Trees:
    """Gradient-boosted regression trees over the raw features, as flat node arrays (numpy only at
    run time; bench/clean_train.py fits them with scikit-learn): ``logit = init + rate * sum of the
    leaf values each tree routes the row to``, a row going left where ``x[feature] <= threshold``.
    Trees see interactions a logistic regression cannot (a short line after the body's run, a
    quantity line inside it)."""

    names: tuple[str, ...]
    init: float
    rate: float
    roots: np.ndarray  # node index of each tree's root
    feature: np.ndarray  # per node; -1 at a leaf
    threshold: np.ndarray
    left: np.ndarray  # per node; a leaf points to itself
    right: np.ndarray
    value: np.ndarray
    depth: int

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Trees:
        def ints(k: str) -> np.ndarray:
            return np.asarray(d[k], dtype=np.int64)

        return cls(
            tuple(str(n) for n in d["names"]), float(d["init"]), float(d["rate"]), ints("roots"), ints("feature"),
            np.asarray(d["threshold"], dtype=float), ints("left"), ints("right"), np.asarray(d["value"], dtype=float),
            int(d["depth"]),
        )  # fmt: skip

    def to_dict(self) -> dict[str, object]:
        return {
            "names": list(self.names), "init": round(self.init, 6), "rate": self.rate, "depth": self.depth,
            "roots": self.roots.tolist(), "feature": self.feature.tolist(), "left": self.left.tolist(),
            "right": self.right.tolist(), "threshold": np.round(self.threshold, 6).tolist(),
            "value": np.round(self.value, 6).tolist(),
        }  # fmt: skip

    def logits(self, x: np.ndarray) -> np.ndarray:
        rows = np.arange(len(x))
        node = np.broadcast_to(self.roots, (len(x), len(self.roots))).copy()  # (rows, trees)
        for _ in range(self.depth):
            f = self.feature[node]
            v = x[rows[:, None], np.maximum(f, 0)]
            nxt = np.where(v <= self.threshold[node], self.left[node], self.right[node])
            node = np.where(f < 0, node, nxt)
        return np.asarray(self.init + self.rate * self.value[node].sum(axis=1))

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(1.0 / (1.0 + np.exp(-np.clip(self.logits(x), -30, 30))))
