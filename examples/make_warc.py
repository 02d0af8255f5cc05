"""Write examples/corpus/crawl.warc.gz: a small, deterministic WARC for the wiretrace demo corpus.

It holds one warcinfo record and two HTTP response records with HTML pages (fictional outlets, fictional
text). Every header that would otherwise vary between runs (WARC-Date, WARC-Record-ID) is fixed, and
warcio compresses each record with a gzip header whose mtime is 0, so running this script twice gives
byte-identical output.

Run from the repository root:  python examples/make_warc.py
"""

from __future__ import annotations

import io
import uuid
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

OUT = Path(__file__).resolve().parent / "corpus" / "crawl.warc.gz"

# A fixed namespace: record ids are uuid5(NAMESPACE, uri), stable across runs.
NAMESPACE = uuid.UUID("6f1c2a4e-9b7d-4c55-8a21-3e0d5b7c9f10")

# The Riverland Tribune runs the Meridian Wire flood story verbatim (a duplicate of
# flood_origin_meridian) with a caption, byline, "min read" line, teasers and a footer.
TRIBUNE_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>River Wendle bursts its banks in Tollbridge, thousands evacuated | Riverland Tribune</title>
<meta property="og:site_name" content="Riverland Tribune">
<meta property="article:published_time" content="2026-03-18T07:00:00Z">
</head>
<body>
<nav><a href="/">Home</a> <a href="/news">News</a> <a href="/region">Region</a> <a href="/sport">Sport</a> <a href="/events">What's on</a></nav>
<article>
<h1>River Wendle bursts its banks in Tollbridge, thousands evacuated</h1>
<p class="byline">By Caspar Nyland, Meridian Wire</p>
<p class="date"><time datetime="2026-03-18T07:00:00Z">18 March 2026</time> · 3 min read</p>
<figure><img src="/photos/weir-street-sandbags.jpg" alt=""><figcaption>Volunteers stack sandbags on Weir Street in Tollbridge on Tuesday. (Photo: Hedda Lunn / Meridian Wire)</figcaption></figure>
<p>TOLLBRIDGE, Corrandia (Meridian Wire) — The River Wendle burst its banks in the city of Tollbridge on Tuesday after two days of torrential rain, forcing about 4,700 people from their homes and cutting the main rail line to the capital. Brown water stood more than a metre deep in parts of the old town by early afternoon.</p>
<p>The Corrandian Civil Protection Agency said the river peaked at 6.8 metres at the Kingsweir gauge, the highest level since records began in 1921. Close to 140 millimetres of rain fell on the upper Wendle valley in 36 hours, more than the area usually receives in all of March.</p>
<p>“We moved people out early and I think that saved lives today,” Mayor Beatrix Ollander said at city hall, where sandbags lined the steps. “But many families are going to come home to ruined ground floors, and they will need help for months, not days.”</p>
<p>Firefighters used boats to reach residents in the low-lying Lowmarket and Weir Street districts, and a 68-year-old man was lifted from the roof of his car on the Ambry road by a police helicopter. No deaths had been reported by Tuesday evening, the agency said.</p>
<p>Three emergency shelters opened in schools on higher ground, and the city closed all 31 of its public schools until at least Thursday. Corrandia Rail suspended services between Tollbridge and Ambry after water covered the tracks near the Wendle viaduct.</p>
<p>Agency spokesman Milo Garrick said the river was expected to fall slowly overnight but warned that more rain forecast for Thursday could push it up again. “The ground is saturated, so anything that falls now runs straight into the river,” he said.</p>
<p>The flood defences completed along the east bank in 2019 held, officials said, but water spilled over a lower section of wall near the Weir Street footbridge that had been due for raising next year. Interior Minister Sander Holt said he would visit the city on Wednesday.</p>
<p>Tollbridge, a city of about 180,000 people, last saw serious flooding in 1974, when the Wendle reached 6.1 metres and two people died.</p>
</article>
<aside class="related">
<h2>Around the region</h2>
<ul>
<li><h3>Ambry council votes to keep its last public pool open</h3><p>The vote was 9 to 4 after a petition signed by 6,000 residents.</p></li>
<li><h3>Cider makers report best apple harvest in a decade</h3><p>Growers in the Ambry hills picked about a quarter more fruit than last year.</p></li>
<li><h3>Former goalkeeper opens football school for girls</h3><p>Sixty players aged eight to fourteen have signed up for the first term.</p></li>
<li><h3>Museum returns carved doors to village church</h3><p>The oak doors were removed for safekeeping in 1941 and never sent back.</p></li>
</ul>
</aside>
<footer><p>Riverland Tribune, 4 Mill Lane, Ambry.</p><p>© 2026 Riverland Tribune. All rights reserved.</p></footer>
</body>
</html>
"""

# A content farm's synonym-spun copy of the same story (a paraphrase), with a comment form.
HUB_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Wendle River overflows in Tollbridge, thousands forced to leave homes - QuickNewsHub</title>
<meta property="og:site_name" content="QuickNewsHub">
<meta property="article:published_time" content="2026-03-19T02:14:00Z">
</head>
<body>
<div class="menu"><a href="/">Home</a> <a href="/world">World</a> <a href="/trending">Trending</a> <a href="/deals">Deals</a></div>
<div class="post">
<h1 class="entry-title">Wendle River overflows in Tollbridge, thousands forced to leave homes</h1>
<div class="entry-meta">Posted on <time datetime="2026-03-19T02:14:00Z">March 19, 2026</time> by admin</div>
<div class="entry-content">
<p>After two days of heavy downpours, the Wendle River overflowed in Tollbridge on Tuesday, driving roughly 4,700 residents out of their houses and severing the principal railway to the capital. By early afternoon, muddy floodwater was over a metre deep in sections of the historic centre.</p>
<p>According to the Corrandian Civil Protection Agency, the river crested at 6.8 metres on the Kingsweir gauge, its highest reading since measurements started in 1921. Almost 140 millimetres of rainfall hit the upper Wendle valley within 36 hours, exceeding what the region normally gets across the whole of March.</p>
<p>“Evacuating people early made the difference, and I believe it saved lives today,” Beatrix Ollander, the mayor, said at city hall, its steps lined with sandbags. “Still, lots of families will return to wrecked ground floors, and they are going to need support for months rather than days.”</p>
<p>Fire crews took boats to reach people in the low-lying neighbourhoods of Lowmarket and Weir Street, while a police helicopter winched a 68-year-old man off the roof of his car on the road to Ambry. The agency said no fatalities had been recorded as of Tuesday night.</p>
<p>Three emergency shelters were set up in schools on raised ground, and all 31 state schools in the city were shut until Thursday at the earliest. Corrandia Rail halted trains between Tollbridge and Ambry when water flooded the line close to the Wendle viaduct.</p>
<p>Milo Garrick, speaking for the agency, said the river should recede gradually during the night but cautioned that further rain expected on Thursday might raise it once more. “The soil is waterlogged, so whatever comes down now flows directly into the river,” he explained.</p>
<p>Officials said the east-bank flood barriers finished in 2019 did their job, but water poured over a lower stretch of wall by the Weir Street footbridge that was scheduled to be heightened next year. Sander Holt, the interior minister, said he would travel to the city on Wednesday.</p>
<p>Tollbridge, home to around 180,000 people, last experienced major flooding in 1974, when the Wendle climbed to 6.1 metres and two people lost their lives.</p>
</div>
</div>
<div id="respond" class="comment-respond">
<h3 id="reply-title">Leave a Reply</h3>
<form action="/wp-comments-post.php" method="post" id="commentform">
<p class="comment-notes">Your email address will not be published. Required fields are marked *</p>
<p class="comment-form-comment"><label for="comment">Comment *</label><textarea id="comment" name="comment"></textarea></p>
<p class="comment-form-author"><label for="author">Name *</label><input id="author" name="author" type="text"></p>
<p class="comment-form-email"><label for="email">Email *</label><input id="email" name="email" type="email"></p>
<p class="form-submit"><input name="submit" type="submit" id="submit" value="Post Comment"></p>
</form>
</div>
<div class="site-footer">Copyright © 2026 QuickNewsHub. All rights reserved.</div>
</body>
</html>
"""

RECORDS = [
    # (target URI, WARC-Date, HTML)
    (
        "https://riverlandtribune.example/news/2026/03/18/tollbridge-flood",
        "2026-03-18T09:12:00Z",
        TRIBUNE_HTML,
    ),
    (
        "https://quicknewshub.example/world/wendle-river-overflows-tollbridge",
        "2026-03-19T04:40:00Z",
        HUB_HTML,
    ),
]


def record_id(key: str) -> str:
    return f"<urn:uuid:{uuid.uuid5(NAMESPACE, key)}>"


def write(path: Path = OUT) -> Path:
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        info = (
            b"software: wiretrace examples/make_warc.py\r\nformat: WARC File Format 1.1\r\n"
            b"description: wiretrace demo corpus, fictional pages\r\n"
        )
        writer.write_record(
            writer.create_warc_record(
                "",
                "warcinfo",
                payload=io.BytesIO(info),
                length=len(info),
                warc_content_type="application/warc-fields",
                warc_headers_dict={
                    "WARC-Date": "2026-03-19T05:00:00Z",
                    "WARC-Record-ID": record_id("warcinfo"),
                    "WARC-Filename": path.name,
                },
            )
        )
        for uri, date, page in RECORDS:
            body = page.encode("utf-8")
            http_headers = StatusAndHeaders(
                "200 OK",
                [
                    ("Content-Type", "text/html; charset=utf-8"),
                    ("Content-Length", str(len(body))),
                ],
                protocol="HTTP/1.1",
            )
            writer.write_record(
                writer.create_warc_record(
                    uri,
                    "response",
                    payload=io.BytesIO(body),
                    length=len(body),
                    http_headers=http_headers,
                    warc_headers_dict={"WARC-Date": date, "WARC-Record-ID": record_id(uri)},
                )
            )
    return path


if __name__ == "__main__":
    print(write())
