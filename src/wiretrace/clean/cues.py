"""What the cleaner's classifier reads of a block on its own: multilingual wording cues, stop words
and the block's shape (the ``LOCAL`` features, the first columns of ``features.STAGE1``).

Every cue has wording in the languages of the pages we measure on (English, German, French, Spanish,
Polish, ...). Stop-word density uses jusText's stop lists (a dependency of trafilatura) for the page's
language, picked from a few function words.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache

from wiretrace.clean.prefilter import Guarded
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
# The same words as tuples, looked up one by one in a page's counts (a page holds more distinct words
# than a language has function words), and a zero for each word a page lacks.
_FUNCTION_LISTS = tuple((lang, tuple(fw)) for lang, fw in _FUNCTION_SETS.items())
_ZEROS = (0,) * max(len(fw) for fw in _FUNCTION_SETS.values())


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


def page_language(tokens: Iterable[str]) -> str:
    """The language whose function words are most frequent among ``tokens`` (English when none)."""
    counts = Counter(tokens)
    get = counts.get
    best, score = "English", 0
    for lang, fw in _FUNCTION_LISTS:
        s = sum(map(get, fw, _ZEROS))  # whole numbers: any order, the same sum
        if s > score:
            best, score = lang, s
    return best


# --- a block's own features ----------------------------------------------------------------------
LOCAL = (
    "lw", "lc", "stop", "stop_n", "term", "colon_end", "comma_rate", "sent_n", "cap_share", "digit_share",
    "punct_share", "sep", "bullet", "upper", "mean_wlen", "url", "cjk",
    "c_comment", "c_appeal", "c_legal", "c_share", "c_nav", "c_teaser", "c_date", "c_date_line", "c_read",
    "c_byline", "c_caption", "c_ad", "c_tags",
)  # fmt: skip
_LETTER = re.compile(r"[^\W\d_]")
_DIGIT = re.compile(r"\d")
# On ASCII text ``_LETTER`` is [A-Za-z] and ``_DIGIT`` [0-9]: counted by deleting the other bytes.
_NOT_LETTER = bytes(c for c in range(128) if not chr(c).isalpha())
_NOT_DIGIT = bytes(c for c in range(128) if not chr(c).isdigit())
# Every ``DATE_ANY`` match holds two digits around one of ``./:h-`` (a numeric date, a time) or four
# digits in a row (a year): a short test, in C from each digit, that rules most blocks with figures out.
_DATE_NEED = re.compile(r"\d[./:h-]\d|\d\d\d\d")
_CAP_WORD = re.compile(r"[A-Z](?<!\S[A-Z])")  # the letter first: positions without one are skipped in C
# The cue searches behind their necessary literals (prefilter.Guarded: the same answers, most blocks
# ruled out without running the pattern). ``DATE_ANY`` needs a digit in every match: it runs only on
# blocks that hold one (lower-casing neither makes nor unmakes a digit: tests/test_clean_fast.py).
_COMMENT_G = Guarded(COMMENT_CUE)
_APPEAL_G = Guarded(APPEAL_CUE)
_LEGAL_G = Guarded(LEGAL_CUE)
_TEASER_G = Guarded(TEASER_CUE)
_READ_TIME_G = Guarded(READ_TIME)
_CAPTION_G = Guarded(CAPTION_CUE)
_SEPARATOR_G = Guarded(SEPARATOR)


def local_features(text: str, toks: Sequence[str], stops: frozenset[str]) -> list[float]:
    """The ``LOCAL`` features of one block: its length, prose shape and wording cues."""
    low = text.lower()
    n_words = len(toks)
    n_chars = len(text)
    if text.isascii():
        raw = text.encode("ascii")
        letters = len(raw.translate(None, _NOT_LETTER))
        digits = len(raw.translate(None, _NOT_DIGIT))
        cjk = 0.0
    else:
        letters = len(_LETTER.findall(text))
        digits = len(_DIGIT.findall(text))
        cjk = len(_CJK.findall(text)) / n_chars if n_chars else 0.0
    spaces = text.count(" ")
    punct = n_chars - letters - digits - spaces
    n_stop = sum(map(stops.__contains__, toks))
    split = text.split()
    # split's words are never empty; on ASCII text a word's first letter is upper case where [A-Z]
    # follows white space or the start (``str.split`` and ``\s`` agree on white space)
    caps = len(_CAP_WORD.findall(text)) if text.isascii() else sum(map(str.isupper, [w[0] for w in split]))
    words_ws = max(1, len(split))
    stripped = text.rstrip()
    # wording cues are looked for only in blocks short enough to be what they name (and to be quick)
    short = n_words <= 12
    medium = n_words <= 40
    has_date = bool(_DATE_NEED.search(low) and DATE_ANY.search(low)) if medium and digits else False
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
        1.0 if _SEPARATOR_G.search(text) else 0.0,
        1.0 if BULLET.match(text) else 0.0,
        1.0 if letters >= 4 and text.upper() == text else 0.0,
        min(15.0, sum(map(len, toks)) / n_words) / 10 if n_words else 0.0,
        1.0 if medium and URL_LIKE.search(low) else 0.0,
        cjk,
        1.0 if n_words <= 25 and _COMMENT_G.search(low) else 0.0,
        1.0 if n_words <= 60 and _APPEAL_G.search(low) else 0.0,
        1.0 if medium and _LEGAL_G.search(low) else 0.0,
        1.0 if n_words <= 6 and SHARE_CUE.match(low) else 0.0,
        1.0 if short and NAV_CUE.match(low) else 0.0,
        1.0 if n_words <= 25 and _TEASER_G.search(low) else 0.0,
        1.0 if has_date else 0.0,
        1.0 if has_date and n_words <= 10 else 0.0,
        1.0 if n_words <= 40 and _READ_TIME_G.search(low) else 0.0,
        1.0 if short and BYLINE_CUE.match(low) else 0.0,
        1.0 if n_words <= 60 and _CAPTION_G.search(low) else 0.0,
        1.0 if short and AD_CUE.match(low) else 0.0,
        1.0 if short and TAGS_CUE.match(low) else 0.0,
    ]
