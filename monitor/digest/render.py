"""The Jinja environment and rendering: render only, never send.

Templates live in the top-level ``templates/`` folder, installed as the package
``monitor.templates`` (``monitor.resources``). Undefined variables are
errors (StrictUndefined) so a template typo cannot silently drop a section;
HTML and Atom templates autoescape everything (all text in them came from a
source or is derived from one), and links are only ever http(s) (``safe_url``).

Two documents are rendered here: the change document (``render_changes``, for
``ecmon diff``) and the digest model (``render_digest`` and ``render_feed``, from
``monitor.digest.model``).

Nothing a source wrote can act on the reader's tools: every string of the document or
model is passed through ``monitor.text.inline`` before a template sees it (controls, C1,
bidi controls and XML non-characters removed; line breaks inside a value made spaces, so a
name cannot open a fake section), the rendered result through ``monitor.text.clean``; in CSV
(``changes_csv``) a cell a spreadsheet would run as a formula (starting with
``=``, ``+``, ``-``, ``@``, tab or carriage return) is prefixed with ``'``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Literal, NotRequired, TypedDict, TypeVar, cast
from urllib.parse import quote, urlsplit

import jinja2
from jinja2 import filters as jinja_filters

from monitor.changeset import ChangeDict, ChangesDocument
from monitor.digest.actions import PLACEHOLDER_NOTE, PLACEHOLDER_URL
from monitor.digest.template_cache import template_cache
from monitor.digest.types import ActionSummary, DigestModel, Entity, Group
from monitor.resources import bundled_dir
from monitor.text import clean, inline

TextFormat = Literal["text", "json", "markdown", "csv"]
DigestFormat = Literal["text", "html", "markdown", "json"]
_TEMPLATE_FOR = {"text": "diff.txt.j2", "markdown": "diff.md.j2"}
_DIGEST_TEMPLATE_FOR = {
    "text": "digest.txt.j2",
    "html": "digest.html.j2",
    "markdown": "digest.md.j2",
}
# C0 controls other than tab and newline (and DEL): never legitimate in a source's text,
# invalid in XML 1.0, and in a terminal an escape sequence could rewrite what is shown.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}(?:$|T)")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


# What a plain dict answers as an attribute (its class's methods): nothing else.
_DICT_ATTRIBUTES = frozenset(dir(dict))


class _Environment(jinja2.Environment):
    """Jinja's environment, reading a plain dict's keys without an exception each time.

    Templates read the model's dicts with the dot (``e.name``). Jinja tries the attribute
    first, and on a dict that raises and catches AttributeError at every read (~63,000 per
    1,000-change text digest, about a quarter of the render). A dict instance has no
    attribute but its class's, so for any other name the item is the answer Jinja would
    reach, and it is looked up at once; the class's names (``items``...) go Jinja's way."""

    def getattr(self, obj: object, attribute: str) -> object:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except (TypeError, LookupError):
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = _Environment(
        loader=jinja2.FileSystemLoader(bundled_dir("templates")),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(["html", "html.j2", "atom.j2", "xml"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # Compiled templates kept between processes (a digest is one process each time);
        # only used while they match this source, Jinja and these options.
        bytecode_cache=template_cache(__file__),
    )
    env.filters["short_hash"] = lambda value: str(value)[:12]
    env.filters["listing"] = _listing
    env.filters["safe_url"] = safe_url
    env.filters["md"] = markdown_text
    env.filters["sector_phrase"] = sector_phrase
    env.filters["url_note"] = url_note
    env.filters["iso_day"] = lambda value: str(value)[:10] if _ISO_DAY.match(str(value)) else ""
    env.globals["wrap"] = wrap
    return env


WRAP_COLUMNS = 76


def wrap(text: object, indent: int = 6) -> str:
    """``text`` wrapped to 76 columns with ``indent`` spaces before every line, words
    never broken (Jinja's ``wordwrap`` then ``indent(first=true)``, which the text
    digest's macro did). Most lines fit: those are only indented, since textwrap would
    return them unchanged (one paragraph, not longer than the width, not ending in
    whitespace it drops), which spares its cost on each of thousands of rows."""
    value = str(text)
    width = WRAP_COLUMNS - indent
    # isprintable: no line break (each is a control or a line/paragraph separator).
    if 0 < len(value) <= width and value.isprintable() and not value[-1].isspace():
        return " " * indent + value
    wrapped = jinja_filters.do_wordwrap(
        environment(), value, width, break_long_words=False, break_on_hyphens=False
    )
    return jinja_filters.do_indent(wrapped, indent, first=True)


def _listing(value: object) -> str:
    """A field value for display: lists joined with '; ', empty shown as a dash."""
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value) or "—"
    return str(value) if value not in (None, "") else "—"


def sector_phrase(item: Mapping[str, object]) -> str:
    """A sector tag in one phrase: ``Semiconductors (name: “Microelectronics”)``, with the
    note a reader needs to judge it ("inferred: ..."); the full evidence is the JSON's."""
    inside = "; ".join(str(v) for v in (item.get("detail"), item.get("note")) if v)
    return f"{item['name']} ({inside})" if inside else str(item["name"])


def url_note(value: object) -> str:
    """Why a URL is not an act's own page ("" when it is): the demo's placeholders."""
    return PLACEHOLDER_NOTE if PLACEHOLDER_URL.search(str(value or "")) else ""


def safe_url(value: object) -> str:
    """``value`` if it is an absolute http(s) URL, else "": a source could hand us a
    ``javascript:`` or ``data:`` link, which escaping alone does not disarm."""
    text = str(value or "").strip()
    parts = urlsplit(text)
    ok = parts.scheme.lower() in ("http", "https") and bool(parts.netloc)
    return text if ok and not _CONTROLS.search(text) and " " not in text else ""


def markdown_text(value: object) -> str:
    """Source text made literal in Markdown: no raw HTML, links, emphasis or table breaks."""
    text = " ".join(str(value if value is not None else "").split())
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text.replace("&", "&amp;"))


def _inline_all(value: object) -> object:
    """Every string in ``value`` (dicts, lists, tuples) through ``inline``; keys too."""
    # Exact types first: a model holds tens of thousands of values, and an isinstance
    # test against the Mapping ABC costs several times one against dict. A printable
    # str is what ``inline`` returns it as (its own first test), without the call.
    # (No typing.cast here: a call per value, tens of thousands of them.)
    if type(value) is str:
        return value if value.isprintable() else inline(value)
    if type(value) is dict:
        return {
            k if type(k) is str and k.isprintable() else _inline_key(k): _inline_all(v)
            for k, v in value.items()
        }
    if type(value) is list:
        return [_inline_all(v) for v in value]
    if value is None or type(value) is int or type(value) is bool or type(value) is float:
        return value
    if isinstance(value, str):
        return inline(value)
    if isinstance(value, dict | Mapping):
        return {inline(k) if isinstance(k, str) else k: _inline_all(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_inline_all(v) for v in value]
    return value


def _inline_key(key: object) -> object:
    return inline(key) if isinstance(key, str) else key


_Doc = TypeVar("_Doc", bound=Mapping[str, object])


def _inlined(document: _Doc) -> _Doc:
    """``_inline_all`` of a typed model: the same keys and value shapes (it turns tuples
    into lists, and the digest model holds none), so it keeps its declared type."""
    return cast(_Doc, _inline_all(document))


def render_changes(document: ChangesDocument, fmt: TextFormat) -> str:
    """The change document in the requested format."""
    if fmt == "json":
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        return changes_csv(document)
    template = environment().get_template(_TEMPLATE_FOR[fmt])
    return clean(template.render(doc=_inline_all(document), once=entries_once(document)))


# Short names of the sources that report the same lists, for "reported by CSL and eCFR".
SHORT_TITLES = {"us_csl_entity_list": "CSL", "us_ecfr_entity_list": "eCFR"}


class EntriesOnce(TypedDict):
    """The change document read as a reader counts it: each entry once, however many
    sources report it (the CSL and the eCFR both report the Entity List). The counts are
    entries (kind, list, key). ``repeats`` are the change ids that repeat an entry already
    shown under an earlier source with the same field changes (not shown again);
    ``also`` the ids of a second source's report that differs in its fields (shown, with
    where the entry was first); ``reporters`` names every reporting source at an entry's
    first change; ``section_reporters`` the same once per source and kind when it holds for
    every entry shown there ("source/kind" keys)."""

    repeats: list[int]
    also: dict[int, str]
    reporters: dict[int, str]
    section_reporters: dict[str, str]
    added: int
    modified: int
    removed: int
    reported_twice: int


def entries_once(document: ChangesDocument) -> EntriesOnce:
    first: dict[tuple[str, str, str], ChangeDict] = {}
    sources: dict[int, list[str]] = {}
    repeats: list[int] = []
    also: dict[int, str] = {}
    for change in document["changes"]:
        slot = (change["kind"], change["list"], change["key"])
        title = SHORT_TITLES.get(change["source"], change["source"])
        if slot not in first:
            first[slot] = change
            sources[change["id"]] = [title]
            continue
        seen = first[slot]
        names = sources[seen["id"]]
        if title not in names:
            names.append(title)
        if change["fields"] == seen["fields"]:
            repeats.append(change["id"])
        else:
            also[change["id"]] = SHORT_TITLES.get(seen["source"], seen["source"])
    reporters = {i: " and ".join(n) for i, n in sources.items() if len(n) > 1}
    by_section: dict[str, set[str]] = {}
    for change in document["changes"]:
        if change["id"] not in repeats:
            section = f"{change['source']}/{change['kind']}"
            by_section.setdefault(section, set()).add(reporters.get(change["id"], ""))
    kinds = [kind for kind, _list, _key in first]
    return {
        "repeats": repeats,
        "also": also,
        "reporters": reporters,
        "section_reporters": {
            k: next(iter(v)) for k, v in by_section.items() if len(v) == 1 and "" not in v
        },
        "added": kinds.count("added"),
        "modified": kinds.count("modified"),
        "removed": kinds.count("removed"),
        "reported_twice": len(reporters),
    }


CSV_COLUMNS = (
    "id", "source", "kind", "list", "key", "name", "country", "labels", "citations",
    "effective_date", "changed_fields", "attribution", "run_id", "fetched_at", "url",
    "list_date", "list_date_basis",  # last, so that readers by position keep working
)  # fmt: skip
# What makes Excel, LibreOffice or Google Sheets evaluate a cell (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def changes_csv(document: ChangesDocument) -> str:
    """One CSV row per change (RFC 4180: CRLF line ends, quoted where needed), for
    spreadsheets; every cell passes through ``spreadsheet_cell``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for change in document["changes"]:
        writer.writerow([spreadsheet_cell(value) for value in _csv_row(change)])
    return out.getvalue()


def _csv_row(change: ChangeDict) -> list[object]:
    prov, found = change["provenance"], change["attribution"]
    stated = change.get("list_date")
    return [
        change["id"], change["source"], change["kind"], change["list"], change["key"],
        change["name"], change["country"], "; ".join(change["labels"]),
        "; ".join(change["citations"]), change["effective_date"] or "",
        "; ".join(f["field"] for f in change["fields"]), found["instrument"] if found else "",
        prov["run_id"], prov["fetched_at"], prov["url"],
        stated["date"] if stated else "", stated["basis"] if stated else "",
    ]  # fmt: skip


def spreadsheet_cell(value: object) -> str:
    """``value`` as text no spreadsheet runs: controls removed, formula starts quoted."""
    text = clean(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def render_digest(model: DigestModel, fmt: DigestFormat) -> str:
    """The digest model (``monitor.digest.model.build_model``) in the requested format."""
    if fmt == "json":
        return json.dumps(model, indent=2, ensure_ascii=False) + "\n"
    template = environment().get_template(_DIGEST_TEMPLATE_FOR[fmt])
    return clean(template.render(d=_inline_all(model)))


def render_feed(model: DigestModel, *, self_url: str = "") -> str:
    """An Atom 1.0 feed of the model: its actions and change groups (``feed_entries``)."""
    model = _inlined(model)
    entries = feed_entries(model)
    updated = max((e["updated"] for e in entries), default=model["generated_at"])
    text = (
        environment()
        .get_template("feed.atom.j2")
        .render(d=model, entries=entries, updated=updated, self_url=safe_url(self_url))
    )
    return clean(text)


class FeedEntry(TypedDict):
    """One Atom entry: an action, a listing group, or a modified or removed entry."""

    id: str
    title: str
    updated: str
    action: NotRequired[ActionSummary]
    group: NotRequired[Group]
    entity: NotRequired[Entity]


def feed_entries(model: DigestModel) -> list[FeedEntry]:
    """Atom entries for the model: one per action, per listing group, per modified or
    removed entry. Ids and times derive from content and fetch times only, so a re-render
    of the same changes gives the same feed."""
    entries = [
        _entry(
            f"action/{a['key']}/{a['identity'].rsplit('/', 1)[-1]}",
            _action_title(a),
            a["seen_at"],
            action=a,
        )
        for a in model["actions"]
    ]
    for group in model["groups"]:
        members = sorted(i for e in group["entities"] for i in e["identities"])
        digest = hashlib.sha256("\n".join(members).encode()).hexdigest()[:32]
        title = f"{group['heading']} ({len(group['entities'])})"
        seen = max(e["seen_at"] for e in group["entities"])
        entries.append(_entry(f"group/{digest}", title, seen, group=group))
    for item in [*model["modifications"], *model["removals"]]:
        word = "Modified" if item["kind"] == "modified" else "Removed"
        title = f"{word}: {item['name']} ({item['list'].upper()})"
        entries.append(
            _entry(f"change/{item['identities'][0]}", title, item["seen_at"], entity=item)
        )
    for entry in entries:  # Atom requires a time; a record without provenance gets the render's
        entry["updated"] = entry["updated"] or model["generated_at"]
    return sorted(entries, key=lambda e: (e["updated"], e["id"]), reverse=True)


def _entry(
    tail: str,
    title: str,
    updated: str,
    *,
    action: ActionSummary | None = None,
    group: Group | None = None,
    entity: Entity | None = None,
) -> FeedEntry:
    # An Atom id is an IRI: percent-encode what a key may hold ("|", spaces); keep "/" and ":".
    entry = FeedEntry(
        id="tag:ecmon,2025:" + quote(tail, safe="/:-._~"), title=title, updated=updated
    )
    if action is not None:
        entry["action"] = action
    if group is not None:
        entry["group"] = group
    if entity is not None:
        entry["entity"] = entity
    return entry


def _action_title(action: ActionSummary) -> str:
    number = action["instrument"] or action["document_number"]
    return (
        f"{number}: {action['title']}"
        if number and number not in action["title"]
        else action["title"]
    )
