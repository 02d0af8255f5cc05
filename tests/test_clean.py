"""Cleaning: spans are valid for any text; each noise kind is recognised on text written here."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from wiretrace.clean import BlockIndex, CleanConfig, analyse, clean, learn_boilerplate
from wiretrace.clean.repairs import bridged_blocks, detached_tail
from wiretrace.model import Document

PAGE = """Harbour cranes fall silent as dockers walk out

Harbour cranes fall silent as dockers walk out

By MARTA VELLO
3 min read

PORT SALLOW (Meridian Wire) — Dock workers at the country's largest container port stopped work on Tuesday, leaving ships waiting offshore as talks over night-shift pay broke down.

Union leader Ines Corvo said the walkout would last until the port authority restored the allowance it cut last year. "We have asked politely for twelve months," she said.

The port authority said it regretted the action and that contingency teams would keep perishable cargo moving.

Leave a Reply
Your email address will not be published. Required fields are marked *
"""


def _doc(text: str, i: str = "d") -> Document:
    return Document(i, text, f"{i}.txt", "text")


def _kinds(text: str) -> dict[str, str]:
    c = clean(_doc(text))
    return {text[s.start : s.end]: s.kind for s in c.segments}


def test_page_noise_kinds() -> None:
    k = _kinds(PAGE)
    assert k["Harbour cranes fall silent as dockers walk out"] == "title_repeat"
    assert list(k.values()).count("title_repeat") == 1
    assert k["By MARTA VELLO"] == "byline"
    assert k["3 min read"] == "dateline_meta"
    assert k["Leave a Reply"] == "comments"
    body = [t for t, v in k.items() if v == "body"]
    assert len(body) == 3 and body[0].startswith("PORT SALLOW")


def test_glued_appeal_is_split_at_the_sentence() -> None:
    text = (
        "Ferry fares rise\n"
        "Independent journalism needs you. Please donate today to keep our reporting free for everyone.\n"
        "Every contribution counts.Ferry fares on the island routes will rise by nine percent from May, the operator said on Friday.\n"
        "The operator blamed fuel costs and a new harbour levy for the increase in prices.\n"
    )
    c = clean(_doc(text))
    appeal = [text[s.start : s.end] for s in c.segments if s.kind == "appeal"]
    body = [text[s.start : s.end] for s in c.segments if s.kind == "body"]
    assert any(a == "Every contribution counts." for a in appeal)
    assert body[0].startswith("Ferry fares on the island routes")


def test_teaser_list_after_header() -> None:
    text = PAGE.split("Leave a Reply")[0] + (
        "Recommended Stories\n"
        "  • Chess club wins regional final\n"
        "    The club's juniors took four of six boards in a tense final round.\n"
        "  • New bakery opens on the quay\n"
        "    Queues formed before dawn for the first loaves.\n"
    )
    k = _kinds(text)
    assert k["Recommended Stories"] == "teasers"
    assert k["• Chess club wins regional final"] == "teasers"
    assert k["Queues formed before dawn for the first loaves."] == "teasers"


def test_corpus_boilerplate_vs_syndicated_paragraphs() -> None:
    cfg = CleanConfig()
    footer = "Copyleft notice: reuse of this page is welcome with a link back to the Gull Gazette"
    wire = [
        "The regional council voted on Monday to double the budget for flood barriers along the lower river after two winters of damaging storms.",
        "Engineers told councillors that the existing barriers were built for a storm surge last seen in the previous century and would fail again.",
        "Residents of the low-lying districts welcomed the vote but said the work should start before the next autumn rather than in two years.",
    ]
    topics = ["bakery prices", "school chess", "tram timetable", "museum roof"]
    docs = [_doc("\n".join([f"A story about {t} that is long enough to count as content for the test here and now ok.", footer]), f"o{i}")
            for i, t in enumerate(topics)]
    docs += [_doc("\n".join([f"Copy {i} of the council story", *wire]), f"w{i}") for i in range(4)]
    index = BlockIndex.of_documents(docs, cfg)
    boiler = learn_boilerplate(index, cfg)
    c = clean(docs[0], cfg, boiler)
    assert [s.kind for s in c.segments if docs[0].text[s.start : s.end] == footer] == ["boilerplate"]
    w = clean(docs[5], cfg, boiler)
    assert sum(s.kind == "body" for s in w.segments) == 3


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=600))
def test_segments_are_within_text_and_never_overlap(text: str) -> None:
    c = clean(_doc(text))
    prev = 0
    for s in c.segments:
        assert prev <= s.start < s.end <= len(text)
        prev = s.end
    for s, e in c.body:
        assert 0 <= s < e <= len(text)


# --- the trained classifier and the rules around it ---------------------------------------------
STORY = """Tram line to the harbour opens after four years of works

The first passenger tram ran along the new harbour line on Saturday morning, four years after the city council approved the extension and two years later than planned.

Around three hundred people rode the first services, which now stop at six new platforms between the central station and the ferry terminal.

The transport authority said trams would run every seven minutes during the day and every fifteen minutes in the evening.

Shop owners along the route, who had complained about the long closure of the harbour road, said they hoped the line would bring customers back.
"""


def test_a_clean_story_keeps_every_paragraph() -> None:
    c = clean(_doc(STORY))
    body = [STORY[s.start : s.end] for s in c.segments if s.kind == "body"]
    assert len(body) == 4 and body[0].startswith("The first passenger tram")
    assert all("classifier p(body)=" in s.reason for s in c.segments if s.kind == "body")


def test_teaser_list_after_the_body_in_german() -> None:
    text = STORY + (
        "Das könnte Sie auch interessieren\n"
        "• Neuer Radweg am Kanal eröffnet\n"
        "• Stadtbibliothek verlängert die Öffnungszeiten\n"
        "• Hafenfest findet im August statt\n"
    )
    k = _kinds(text)
    assert k["Das könnte Sie auch interessieren"] == "teasers"
    assert k["• Hafenfest findet im August statt"] == "teasers"
    assert sum(v == "body" for v in k.values()) == 4


def test_a_blog_posts_comment_section_in_german() -> None:
    """The furniture of a German blog post under the story: sharing, trackbacks, the comment form."""
    furniture = {
        "Beitrag teilen:": "boilerplate",
        "Pingback: Notizen vom Hafenfest | Wochenblog aus dem Norden | 12.05.2021": "comments",
        "E-Mail (wird nicht veröffentlicht)": "comments",
        "Benachrichtige mich über neue Kommentare per E-Mail.": "comments",
        "Dieser Blog nutzt Akismet gegen Spam.": "comments",
        "Sofern nicht anders angegeben, stehen die Texte unter einer freien Lizenz.": "boilerplate",
        "Gerade sind 7 Besucher online": "boilerplate",
    }
    k = _kinds(STORY + "".join(line + "\n" for line in furniture))
    assert {line: k[line] for line in furniture} == furniture
    assert sum(v == "body" for v in k.values()) == 4


def test_read_also_lines_viewer_controls_and_disclosures_inside_a_story() -> None:
    """Lines a news page puts between the paragraphs: "Read also: <headline>" links in several
    languages, an image viewer's controls, an embed's consent placeholder, an affiliate disclosure.
    The classifier alone would keep the link lines: they read like a headline sentence."""
    paras = STORY.split("\n\n")
    inserts = [
        "Lea también: Nuevo puente peatonal une los dos barrios del puerto",
        "Bild anzeigen Bild schließen",
        "Lesen Sie hier: Stadtwerke erhöhen die Preise für Fernwärme",
        "Empfohlener redaktioneller Inhalt",
        "Für Links auf dieser Seite erhält die Redaktion eine Provision vom Händler.",
        "Vorschau auf den nächsten Artikel",
    ]
    # after the headline and each paragraph one insert, the rest under the story
    text = "\n\n".join([paras[0], *(x for pair in zip(inserts, paras[1:], strict=False) for x in pair), *inserts[len(paras) - 1 :]])
    k = _kinds(text)
    assert k[inserts[0]] == "teasers" and k[inserts[2]] == "teasers" and k[inserts[5]] == "teasers"
    assert k[inserts[1]] == "caption"
    assert k[inserts[3]] == "boilerplate" and k[inserts[4]] == "boilerplate"
    assert sum(v == "body" for v in k.values()) == 4
    reasons = {text[s.start : s.end]: s.reason for s in clean(_doc(text)).segments}
    assert "'read also' link line" in reasons[inserts[0]]


def test_the_pages_own_headline_and_byline_are_not_a_second_article() -> None:
    text = "Home\nNews\nSport\n" + STORY.replace("\n\nThe first", "\n\nBy Lena Kowalski\n\nThe first", 1)
    kinds = {s.kind for s in clean(_doc(text)).segments}
    assert "other_article" not in kinds


def test_markup_hints_weigh_in_html_mode() -> None:
    from wiretrace.ingest.html import read_html_string

    paragraphs = "".join(f"<p>{p}</p>" for p in STORY.split("\n\n")[1:])
    html = (
        "<html><head><title>Tram line to the harbour opens after four years of works</title></head><body>"
        "<nav><ul><li>Home</li><li>News</li><li>Sport</li><li>Weather</li></ul></nav>"
        f"<article><h1>Tram line to the harbour opens after four years of works</h1>{paragraphs}</article>"
        "<footer><p>Contact</p><p>Privacy</p></footer></body></html>"
    )
    doc = read_html_string(html, doc_id="h", path="h.html")
    assert doc.hints
    c = clean(doc)
    body = [doc.text[s:e] for s, e in c.body]
    assert len(body) == 4 and body[0].startswith("The first passenger tram")
    removed = {doc.text[s.start : s.end]: s.kind for s in c.removed}
    assert removed["Home"] != "body" and removed["Privacy"] != "body"
    assert removed["Tram line to the harbour opens after four years of works"] == "title"


def test_words_of_chinese_or_japanese_blocks_are_counted_by_characters() -> None:
    from wiretrace.clean.blocks import count_block_words

    text = "東京都は新しい路面電車の路線を開業した"
    assert count_block_words(text, 0, len(text)) >= 8
    assert count_block_words("three plain words", 0, 17) == 3


def test_weights_match_the_features() -> None:
    from wiretrace.clean import load_model
    from wiretrace.clean.features import STAGE1, STAGE2, STAGE2_TEXT, stage2_names

    assert stage2_names("html") == STAGE2 and stage2_names("text") == STAGE2 + STAGE2_TEXT
    for mode in ("html", "text"):
        m = load_model(mode)
        assert m.stage1.names == STAGE1 and m.stage2.names == STAGE1 + stage2_names(mode)
        assert m.trees is None or m.trees.names == m.stage2.names
        assert 0.0 <= m.blend <= 1.0
        assert 0.0 < m.threshold <= m.rule_threshold <= 1.01


def test_trees_route_rows_by_their_thresholds() -> None:
    """Two hand-built trees: a stump on feature 0, and a depth-2 tree on features 1 then 0."""
    from wiretrace.clean.classifier import Trees

    # tree 1: nodes 0 (x0 <= 0.5), 1 leaf -1, 2 leaf +1; tree 2: nodes 3 (x1 <= 2), 4 (x0 <= 0), 5 leaf 3,
    # 6 leaf 0.5, 7 leaf -2 (a leaf points to itself)
    trees = Trees(
        ("a", "b"), init=0.25, rate=0.5, roots=np.array([0, 3]), feature=np.array([0, -1, -1, 1, 0, -1, -1, -1]),
        threshold=np.array([0.5, 0, 0, 2.0, 0.0, 0, 0, 0]), left=np.array([1, 1, 2, 4, 5, 5, 6, 7]),
        right=np.array([2, 1, 2, 7, 6, 5, 6, 7]), value=np.array([0, -1.0, 1.0, 0, 0, 3.0, 0.5, -2.0]), depth=2,
    )  # fmt: skip
    x = np.array([[0.0, 1.0], [1.0, 1.0], [1.0, 5.0], [0.5, 2.0]])
    expected = 0.25 + 0.5 * np.array([-1 + 3.0, 1 + 0.5, 1 - 2.0, -1 + 0.5])
    assert np.allclose(trees.logits(x), expected)
    assert np.allclose(trees.predict(x), 1 / (1 + np.exp(-expected)))
    assert Trees.from_dict(trees.to_dict()).logits(x).tolist() == trees.logits(x).tolist()


def test_plain_text_context_features() -> None:
    """Text mode's stage 2 sees where a block stands against the body region and the runs of
    like-shaped lines it belongs to; HTML mode's stage 2 is unchanged."""
    from wiretrace.clean.features import STAGE2, STAGE2_TEXT, BlockInfo, stage1_features, stage2_features

    lines = [
        "Home", "Recipes",
        "The soup needs little more than good stock and patience, and it keeps for days in the fridge.",
        "200 g lentils", "1 onion", "2 carrots",
        "Simmer the lentils in the stock for twenty minutes, then add the vegetables and season well.",
        "Prep time: 10 min", "Cook time: 40 min",
        "Share",
    ]  # fmt: skip
    blocks = [BlockInfo(t, len(t.split()), "", False) for t in lines]
    page = stage1_features(blocks, has_hints=False)
    p1 = np.array([0.0, 0.0, 1.0, 0.4, 0.4, 0.4, 1.0, 0.3, 0.3, 0.0])
    assert stage2_features(blocks, page, p1, "html").shape == (10, len(STAGE2))
    x = stage2_features(blocks, page, p1, "text")
    assert x.shape == (10, len(STAGE2) + len(STAGE2_TEXT))
    col = {n: x[:, len(STAGE2) + i] for i, n in enumerate(STAGE2_TEXT)}
    assert col["before_region"].tolist() == [1, 1, 0, 0, 0, 0, 0, 0, 0, 0]
    assert col["after_region"].tolist() == [0] * 7 + [1, 1, 1]
    assert col["qty"].tolist() == [0, 0, 0, 1, 1, 1, 0, 1, 1, 0]
    assert col["kv"].tolist() == [0] * 7 + [1, 1, 0]
    assert np.allclose(np.expm1(col["qty_run"]), [0, 0, 0, 3, 3, 3, 0, 2, 2, 0])
    assert col["words_before"][0] == 0.0 and 0.0 < col["words_before"][-1] < 1.0
    assert col["rel_len"][2] > 0 > col["rel_len"][0]  # a paragraph is longer than the body's median block


# --- hard-wrapped text, copies, plain prose ------------------------------------------------------
WRAPPED = (
    "    The harbour board said on Tuesday it would raise berth fees\n"
    "by four pct from July, the first rise since the new container\n"
    "terminal opened in the spring of last year.\n"
    "    Net income of the board rose to 12.4 mln crowns from 10.1\n"
    "mln crowns a year earlier, it said in a statement issued after\n"
    "the meeting.\n"
    "    Shr 1.20 crowns vs 1.05 crowns\n"
    "    Net 12.4 mln vs 10.1 mln\n"
    "    Revs 88.2 mln vs 81.7 mln\n"
    "    NOTE: figures for the full year ended December 31.\n"
    "\n"
    " Gull Wire\n"
)


def test_hard_wrapped_text_is_cut_into_paragraphs() -> None:
    from wiretrace.clean import text_blocks
    from wiretrace.text.tokens import wrap_width

    assert 55 <= wrap_width(WRAPPED) <= 65
    blocks = [WRAPPED[s:e] for s, e in text_blocks(WRAPPED)]
    assert len(blocks) == 4, blocks
    assert blocks[0].startswith("The harbour board") and blocks[0].endswith("spring of last year.")
    assert blocks[1].endswith("after\nthe meeting.")
    assert blocks[2].startswith("Shr 1.20") and blocks[2].endswith("December 31.")  # the table is one block
    assert blocks[3] == "Gull Wire"
    # one block per line where the text is not hard-wrapped: a list of short lines, scraped paragraphs
    menu = "Home\nNews\nSport\nWeather\nHarbour board raises berth fees\nContact us\n"
    assert wrap_width(menu) == 0 and len(text_blocks(menu)) == 6
    flat = WRAPPED.replace("\n", " ").replace("    ", "\n")
    assert wrap_width(flat) == 0


def test_hard_wrapped_body_keeps_its_lines() -> None:
    c = clean(_doc(WRAPPED))
    body = "\n".join(WRAPPED[s:e] for s, e in c.body)
    assert "from July, the first rise" in body and "Net 12.4 mln vs 10.1 mln" in body


def test_copies_of_a_document_keep_lines_that_recur_with_them() -> None:
    """Three copies of a short notice share its lines because they are one document: not boilerplate."""
    cfg = CleanConfig()
    notice = "Qtly div 10 cts vs 10 cts prior\nPay April 1\nRecord March 15\nGull Wire\n"
    others = [
        f"The {t} committee met on Monday and agreed a plan that will be put to members next month for a vote.\nGull Wire\n"
        for t in ("ferry", "school", "tram", "museum")
    ]
    docs = [_doc(notice, f"n{i}") for i in range(3)] + [_doc(t, f"o{i}") for i, t in enumerate(others)]
    index = BlockIndex.of_documents(docs, cfg)
    boiler = learn_boilerplate(index, cfg)
    c = clean(docs[0], cfg, boiler)
    kinds = {notice[s.start : s.end]: s.kind for s in c.segments}
    assert kinds["Gull Wire"] == "boilerplate"  # beside unrelated stories too
    assert kinds["Pay April 1"] == kinds["Record March 15"] == "body"


def test_near_copies_of_a_short_report_keep_their_rows() -> None:
    """A short results table published three times, twice with a note added: the rows recur because
    the report does (near copies), not because they are boilerplate; a footer beside unrelated
    stories still is."""
    from wiretrace.clean.blocks import block_key

    cfg = CleanConfig()
    table = "Shr 21 cts vs 17 cts\n    Net 402,000 vs 311,000\n    Nine mths\n    Shr 64 cts vs 58 cts\n"
    note = "    NOTE: the harbour board gave no figures for its loans.\n"
    others = [
        f"The {t} committee met on Monday and agreed a plan that will be put to members next month for a vote.\nGull Wire\n"
        for t in ("ferry", "school", "tram", "museum")
    ]
    texts = [table + "Gull Wire\n", table + note + "Gull Wire\n", table + note + "Gull Wire\n"]
    docs = [_doc(t, f"r{i}") for i, t in enumerate(texts)] + [_doc(t, f"o{i}") for i, t in enumerate(others)]
    boiler = learn_boilerplate(BlockIndex.of_documents(docs, cfg), cfg)
    rows = ("Shr 21 cts vs 17 cts", "Net 402,000 vs 311,000", "Nine mths", "Shr 64 cts vs 58 cts")
    assert not {block_key(r) for r in rows} & boiler
    assert block_key("Gull Wire") in boiler
    # without the near-copy rule, the copy without the note makes every row look like boilerplate
    strict = CleanConfig(near_copy_share=1.0, near_copy_blocks=99)
    assert {block_key(r) for r in rows} <= learn_boilerplate(BlockIndex.of_documents(docs, strict), strict)


def test_short_wrapped_story_with_a_cut_first_line_is_one_paragraph() -> None:
    """A two-paragraph wire story whose first line is short (its dateline was cut off): two of its
    lines fit one column and none is longer, so it is hard-wrapped, and each paragraph is one block
    (one line apiece, short lines of prose read as noise)."""
    from wiretrace.clean import text_blocks
    from wiretrace.text.tokens import wrap_width

    story = (
        "A ferry strike that began a\n"
        "week ago went on today with most of the harbour's 9,000\n"
        "crew still out, union officials said.\n"
        "    The island's two main ports were shut for the fifth\n"
        "working day running.\n"
        " Gull Wire\n"
    )
    assert wrap_width(story) > 0
    blocks = [story[s:e] for s, e in text_blocks(story)]
    assert blocks[0].startswith("A ferry strike") and blocks[0].endswith("union officials said.")
    assert blocks[1].startswith("The island's") and blocks[1].endswith("running.")
    body = " ".join(story[s:e] for s, e in clean(_doc(story)).body)
    assert "ferry strike" in body and "fifth\nworking day" in body


def test_plain_prose_stays_whole() -> None:
    """An encyclopedia-style text has no noise: an appeal word in prose ("contribution") is not an
    appeal, and a one-paragraph text is its own body."""
    text = (
        "Dynamic tides were first described by a harbour engineer who measured the basin for forty years. "
        "Her records showed that the tide in a narrow basin lags the open sea by up to an hour. "
        "Her contribution is remembered in the name of the lag equation, a central result of coastal engineering."
    )
    for t in (text, text.replace(". ", ".\n")):
        c = clean(_doc(t))
        assert [(s.start, s.end) for s in c.segments if s.kind != "body"] == [], c.segments


def test_clough_source_texts_stay_whole(data_dir) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import need

    folder = need(data_dir / "clough-stevenson")
    for path in sorted(folder.glob("orig_task*.txt")):
        text = path.read_bytes().decode("utf-8", errors="replace")
        c = clean(Document(path.stem, text, str(path), "text"))
        removed = [text[s.start : s.end] for s in c.segments if s.kind != "body"]
        assert removed == [], (path.name, removed)


def test_sentences_run_across_the_line_breaks_of_hard_wrapped_text() -> None:
    from wiretrace.text.tokens import sentences

    sents = [WRAPPED[s:e] for s, e in sentences(WRAPPED)]
    assert sents[0].startswith("The harbour board") and sents[0].endswith("spring of last year.")
    assert "\n" in sents[0]  # offsets into the raw text: the line breaks are still there
    # scraped text keeps one sentence per line at most
    assert len(sentences("Berth fees rise\nThe board said so")) == 2


TAIL_PAGE = """Harbour cranes fall silent as dockers walk out

PORT SALLOW (Meridian Wire) — Dock workers at the country's largest container port stopped work on Tuesday, leaving ships waiting offshore as talks over night-shift pay broke down.

Union leader Ines Corvo said the walkout would last until the port authority restored the allowance it cut last year. "We have asked politely for twelve months," she said.

The port authority said it regretted the action and that contingency teams would keep perishable cargo moving while the two sides met again.

Shipping agents said at least nine vessels had been diverted to smaller ports along the coast, where berths were already scarce.

Share this
Home
News
Sport

Marta Vello has covered the ports and shipping industry for the Meridian Wire since she moved to the coast from the capital.
"""


def test_plain_text_context_repairs() -> None:
    """Without markup, context decides what the classifier left unsure: a short run of "body" cut off
    after the article by menu lines (an author's bio the classifier gave p=0.8) is page furniture, and
    an unnamed line between two body paragraphs that the classifier nearly kept (p=0.45) is body."""
    an = analyse(_doc(TAIL_PAGE))
    p = np.array([0.8 if b.text.startswith(("Marta", "Shipping")) else 1.0 if b.n_words > 12 else 0.0 for b in an.blocks])
    for b, q in zip(an.blocks, p, strict=True):
        b.rule = b.kind
        b.kind = b.kind if b.kind else ("body" if q >= 0.525 else "boilerplate")
    detached_tail(an.blocks, p)
    kinds = {b.text[:12]: b.kind for b in an.blocks}
    assert kinds["Marta Vello "] == "boilerplate", kinds
    assert kinds["Shipping age"] == "body", kinds  # the main run keeps its own unsure paragraph
    k = next(i for i, b in enumerate(an.blocks) if b.text.startswith("Union"))
    an.blocks[k].kind, p[k] = "boilerplate", 0.45
    bridged_blocks(an.blocks, p)
    assert an.blocks[k].kind == "body"
    p[k] = 0.2
    an.blocks[k].kind = "boilerplate"
    bridged_blocks(an.blocks, p)
    assert an.blocks[k].kind == "boilerplate"


def test_segment_kinds_leave_the_cleaner_as_plain_strings() -> None:
    """The Spark engine's rows go to the JVM, whose unpickler cannot build enum members: the kinds the
    cleaner compares as ``NoiseKind`` members leave it as their plain values."""
    c = clean(_doc(PAGE))
    kinds = {s.kind for s in c.segments}
    assert len(kinds) >= 4 and "body" in kinds and "byline" in kinds
    assert all(type(k) is str for k in kinds)
