#!/usr/bin/env python3
"""Regenerate fr_2023-03929.toml from realdata/federal_register/2023-03929.xml (stdlib only).

Independent of ecmon (nothing from ``monitor/`` is imported).  The script walks the
document in document order with xml.etree, keeps track of the last <PRTPAGE P="..."/>
seen, classifies every GPOTABLE <ROW>, and writes what it finds.  It also asserts the
values read by hand from the file (EXPECTED_* below), so a silent change in the reading
fails loudly.

Usage: python3 make_fr_truth.py [REALDATA_DIR] [OUTPUT_TOML]

Text rules (written into the TOML header as well):
  * whitespace runs (the file is pretty-printed) collapse to one space, ends stripped;
  * <SU> (superscript) text is glued to the text before it with no space
    ("734.9(g),<SU>3</SU>" -> "734.9(g),3", "3<SU>rd</SU>" -> "3rd");
  * <E T="03">and</E> contributes the word "and";
  * <LI> children of an entity cell are separate lines.
"""
import hashlib
import os
import re
import sys
import xml.etree.ElementTree as ET

EXPECTED_ENTRIES = [  # (country as written, entity name), hand-read from the file
    ("CANADA", "CPUNTO Inc."),
    ("CANADA", "Electronic Network Inc."),
    ("CHINA, PEOPLE'S REPUBLIC OF", "AOOK Technology Ltd."),
    ("CHINA, PEOPLE'S REPUBLIC OF", "Beijing Ti-Tech Science and Technology Development Co."),
    ("CHINA, PEOPLE'S REPUBLIC OF", "Beijing Yunze Technology Co., Ltd."),
    ("CHINA, PEOPLE'S REPUBLIC OF", "China HEAD Aerospace Technology Co."),
    ("CHINA, PEOPLE'S REPUBLIC OF", "Spacety Co., Ltd."),
    ("FRANCE", "China HEAD Aerospace Technology Co."),
    ("LUXEMBOURG", "Spacety Co., Ltd."),
    ("NETHERLANDS", "China HEAD Aerospace Technology Co."),
    ("RUSSIA", "Dexias Industrial Products and Trade Limited Company"),
    ("RUSSIA", "Innovation and Technologies LLC"),
    ("RUSSIA", "Promtekhkomplekt JSC"),
]
EXPECTED_PAGES = [12172, 12172, 12172, 12172, 12173, 12173, 12173, 12173, 12174, 12174, 12174, 12174, 12174]
ISO = {"CANADA": "CA", "CHINA, PEOPLE'S REPUBLIC OF": "CN", "FRANCE": "FR", "LUXEMBOURG": "LU",
       "NETHERLANDS": "NL", "RUSSIA": "RU"}
PUBLICATION_DATE = "2023-02-27"  # from the placeholder "88 FR [INSERT FR PAGE NUMBER AND 2/27/2023]."


def ws(s):
    """Normalised: every Unicode white-space run (incl. U+2003, U+2009) -> one ASCII space."""
    return re.sub(r"\s+", " ", s).strip()


def ws_ascii(s):
    """Verbatim: only the pretty-printer's ASCII white space collapses; U+2003/U+2009 are kept."""
    return re.sub(r"[ \t\r\n]+", " ", s).strip(" ")


def raw_text(el):
    """Text of el with SU glued to the preceding text; LI children separated by NUL."""
    parts = []

    def walk(e):
        if e.text:
            parts.append(e.text)
        for c in e:
            if c.tag == "SU":
                # glue: drop trailing whitespace before the superscript
                if parts:
                    parts[-1] = parts[-1].rstrip()
                parts.append(c.text or "")
                if c.tail:
                    parts.append(c.tail)
                continue
            if c.tag == "LI":
                parts.append("\x00")
                walk(c)
                parts.append("\x00")
            elif c.tag == "PRTPAGE":
                pass
            else:
                walk(c)
            if c.tail:
                parts.append(c.tail)

    walk(el)
    return "".join(parts)


def lines_of(el):
    return [ws(x) for x in raw_text(el).split("\x00") if ws(x)]


def toml_str(s):
    import unicodedata
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif o < 0x20 or o == 0x7F or (ch != " " and unicodedata.category(ch) in ("Cf", "Zs", "Zl", "Zp", "Cc", "Co")):
            out.append("\\u%04X" % o)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def toml_val(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return toml_str(v)
    return "[" + ", ".join(toml_val(x) for x in v) + "]"


def main():
    realdata = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("ECMON_REALDATA", "/work/shared/realdata")
    out_path = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "fr_2023-03929.toml")
    path = os.path.join(realdata, "federal_register", "2023-03929.xml")
    data = open(path, "rb").read()
    root = ET.fromstring(data)

    # --- page tracking in document order -----------------------------------------
    page_of = {}
    markers = []
    current = [None]

    def walk(e):
        if e.tag == "PRTPAGE":
            current[0] = int(e.get("P"))
            markers.append(current[0])
        page_of[id(e)] = current[0]
        for c in e:
            walk(c)

    walk(root)

    def first_page(el):
        # page on which the element's own content starts: a PRTPAGE that is a direct child
        # placed before any text-bearing child moves the start to the new page.
        p = page_of[id(el)]
        for c in el:
            if c.tag == "PRTPAGE":
                p = int(c.get("P"))
                continue
            break
        return p

    frdoc = ws(root.find(".//FRDOC").text)
    m = re.match(r"\[FR Doc\. (\S+) Filed (\S+); (.+)\]", frdoc)
    doc_number, filed, filed_time = m.group(1), m.group(2), m.group(3)
    effdate_text = ws("".join(root.find(".//EFFDATE/P").itertext()))
    subject = ws(root.find(".//SUBJECT").text)
    summary = ws("".join(root.find(".//SUM/P").itertext()))

    # --- amendment instructions ----------------------------------------------------
    regtexts = root.findall(".//REGTEXT")
    amdpars = [ws(" ".join(raw_text(a).split("\x00"))) for rt in regtexts for a in rt.findall("AMDPAR")]
    amd = []
    for a in amdpars:
        mm = re.match(r"([a-z])\. Under (.+?), by (adding|revising|removing)\b", a)
        if mm:
            # strip: the pretty-printer put white space after the opening quote that sits
            # inside <E T="03">and \u201c</E> (f. Under RUSSIA)
            names = [x.strip() for x in re.findall(r"\u201c(.+?)\u201d", a)]
            amd.append((mm.group(1), mm.group(2), mm.group(3), names, a))

    # --- bullet list in SUPLINF ("adds the following 10 entities under 13 entries") ---
    bullets = []
    sup = root.find(".//SUPLINF")
    on, cur = False, None
    for c in sup:
        t = ws("".join(c.itertext()))
        if c.tag == "P" and "adds the following 10 entities under 13 entries" in t:
            on = True
            continue
        if not on:
            continue
        if c.tag == "HD" and c.get("SOURCE") == "HD1":
            cur = t
            continue
        if c.tag == "HD":
            break
        if c.tag == "P" and t.startswith("\u2022"):
            bullets.append((cur, t))

    # --- table ---------------------------------------------------------------------
    table = root.find(".//GPOTABLE")
    rows = table.findall("ROW")
    row_info = []
    entries = []
    country = None
    for i, row in enumerate(rows, 1):
        ents = row.findall("ENT")
        texts = [ws(" ".join(lines_of(e))) for e in ents]
        i_attr = ents[0].get("I") if ents else None
        rul = row.get("RUL") or ""
        stars = lambda t: bool(t) and set(t.replace(" ", "")) == {"*"}
        if len(ents) == 1 and texts[0] == "":
            kind = "spacer"
        elif len(ents) == 1 and stars(texts[0]):
            kind = "stars"
        elif ents and i_attr == "25":
            kind = "column_titles"
        elif ents and i_attr == "01":
            country = texts[0]
            kind = "country"
        elif len(ents) == 2 and texts[0] == "" and stars(texts[1]):
            kind = "stars_in_entity_column"
        elif len(ents) == 2 and texts[0] == "" and "a.k.a." not in texts[1]:
            kind = "address_continuation"
        elif len(ents) == 5:
            kind = "entry"
        else:
            kind = "unknown"
        info = {"row": i, "kind": kind, "ent_count": len(ents), "first_ent_I": i_attr or "", "RUL": rul,
                "first_ent_raw": ws_ascii(ents[0].text or "") if ents else "",
                "page": first_page(row), "country": country or ""}
        if kind == "country":
            info["text"] = texts[0]
        if kind == "address_continuation":
            info["text"] = texts[1]
            entries[-1]["address_rows"].append(i)
            entries[-1]["cont_lines"].append(texts[1])
        if kind == "entry":
            cell = ents[1]
            ls = lines_of(cell)
            head = ls[0]
            hm = re.match(r"(.+?), a\.k\.a\., the following (\w+) alias(?:es)?:$", head)
            name, alias_word = hm.group(1), hm.group(2)
            alias_lines = [x for x in ls[1:] if x.startswith("\u2014")]
            addr_lines = [x for x in ls[1:] if not x.startswith("\u2014")]
            aliases = []
            for x in alias_lines:
                a = x[1:]
                a = re.sub(r";( and)?$", "", a)
                aliases.append(a)
            entries.append({
                "row": i, "page": first_page(row), "country_as_written": country, "name": name,
                "aka_head": head, "alias_count_word": alias_word, "alias_lines": alias_lines,
                "aliases_raw_last_period": aliases[-1] if aliases else "",
                "aliases": aliases, "address_lines": addr_lines, "address_rows": [], "cont_lines": [],
                "license_requirement": texts[2], "license_review_policy": texts[3],
                "license_requirement_verbatim": ws_ascii(" ".join(ws_ascii(x) for x in raw_text(ents[2]).split("\x00"))),
                "license_review_policy_verbatim": ws_ascii(" ".join(ws_ascii(x) for x in raw_text(ents[3]).split("\x00"))),
                "entity_cell_verbatim": [ws_ascii(x) for x in raw_text(cell).split("\x00") if ws_ascii(x)],
                "citation_cell": texts[4],
            })
        row_info.append(info)

    # strip the list-final period of the last alias where it is a sentence period.
    # doubt: for the last aliases ending "Co. Ltd.", "Corp." and "S.A." the period belongs to
    # the abbreviation and is kept.
    ABBREV = ("Ltd.", "Corp.", "S.A.", "Inc.", "Co.")
    for e in entries:
        last = e["aliases"][-1]
        if last.endswith(".") and not last.endswith(ABBREV):
            e["aliases"][-1] = last[:-1]

    for e in entries:
        assert [ws(x) for x in e["entity_cell_verbatim"]] == e["entity_cell_verbatim"], e["name"]
    got = [(e["country_as_written"], e["name"]) for e in entries]
    assert got == EXPECTED_ENTRIES, got
    assert [e["page"] for e in entries] == EXPECTED_PAGES, [e["page"] for e in entries]
    words = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}
    for e in entries:
        assert words[e["alias_count_word"]] == len(e["aliases"]), e["name"]

    # --- write --------------------------------------------------------------------
    L = []
    w = L.append
    w("# fr_2023-03929.toml -- independent truth for realdata/federal_register/2023-03929.xml")
    w("# GENERATED by make_fr_truth.py (xml.etree, stdlib only; never from ecmon output), with the")
    w("# entry list, pages and alias counts asserted against a reading of the file by hand.")
    w("# Text rules: white-space runs (ASCII and Unicode) collapse to one ASCII space; <SU> text is glued to the text before it")
    w("# (\"734.9(g),3 744.21(b)\", \"west 3rd ring r.\"); <E T=\"03\">and</E> gives the word 'and'.")
    w("# The file also holds non-ASCII spaces: U+2003 EM SPACE (the 'blank' ENT I=22 cells, blank CHEDs,")
    w("# the asterisk rows) and U+2009 THIN SPACE after section signs ('\u00a7\u00a7\u2009734.9(g)').  *_verbatim")
    w("# fields keep them (only the pretty-printer's ASCII white space is collapsed).  ROW RUL attributes")
    w("# are 's' followed by U+E199 (a private-use character), written as RUL = \"s\\uE199\".")
    w("# Entity-cell text (names, aliases, addresses) contains no such spaces, so normalised == verbatim there.")
    w("# Page rule: an element is on the page of the last <PRTPAGE P=\"N\"/> before it in document")
    w("# order; a PRTPAGE that is the first child of a ROW puts that row on page N.  Text before the")
    w("# first marker (P=12171) is on page 12170.")
    w("# Citation rule: the rule's own citation cell reads \"88 FR [INSERT FR PAGE NUMBER AND 2/27/2023].\"")
    w("# -- i.e. volume 88, the FR page on which the entry is printed, and the publication date.  The")
    w("# expected filled-in citation is therefore \"88 FR <page of the entry's row>, 2/27/2023\".")
    w("# doubt: the XML has no <DATE>/<VOL> element; publication date 2023-02-27 and volume 88 are read")
    w("#        from that placeholder; the start page 12170 is inferred (page before the first marker).")
    w("# doubt: the codified eCFR cell may abbreviate the year (\"2/27/23\"); this file keeps the form the")
    w("#        placeholder uses (\"2/27/2023\").")
    w("")
    w("[document]")
    w("file = \"federal_register/2023-03929.xml\"")
    w("sha256 = %s" % toml_str(hashlib.sha256(data).hexdigest()))
    w("document_number = %s  # from <FRDOC>" % toml_str(doc_number))
    w("frdoc = %s" % toml_str(frdoc))
    w("filed = %s  # as written in <FRDOC> (M-D-YY)" % toml_str(filed))
    w("filed_date = \"2023-02-24\"")
    w("filed_time = %s" % toml_str(filed_time))
    w("publication_date = %s  # from the citation placeholder 2/27/2023" % toml_str(PUBLICATION_DATE))
    w("effective_date = \"2023-02-24\"  # <EFFDATE>: %s" % effdate_text)
    w("effective_text = %s" % toml_str(effdate_text))
    w("fr_volume = 88")
    w("subject = %s" % toml_str(subject))
    w("agency = \"DEPARTMENT OF COMMERCE\"")
    w("subagency = \"Bureau of Industry and Security\"")
    w("cfr = \"15 CFR Part 744\"")
    w("docket = \"[Docket No. 230221-0050]\"")
    w("rin = \"RIN 0694-AJ13\"")
    w("action = \"Final rule.\"")
    w("summary = %s" % toml_str(summary))
    w("summary_entity_count = 10")
    w("summary_entry_count = 13")
    w("summary_country_counts = { CA = 2, CN = 5, FR = 1, LU = 1, NL = 1, RU = 3 }")
    w("prtpage_markers = %s" % toml_val(markers))
    w("start_page = 12170  # inferred: page before the first marker")
    w("end_page = %d  # last marker; the signature block follows it" % markers[-1])
    w("page_range = \"12170-12175\"")
    w("fr_citation_of_rule = \"88 FR 12170\"  # doubt: built from the inferred start page")
    w("signer = \"Thea D. Rozman Kendler,\"")
    w("gpotable_cols = 5")
    w("gpotable_cdef = \"xs60,xl75,r50,r50,r50\"")
    w("boxhd_ched_all_blank = true  # the 5 CHED are blank; column titles are in table row 3")
    w("column_titles = [\"Country\", \"Entity\", \"License requirement\", \"License review policy\", \"Federal Register citation\"]")
    w("")
    w("# The amendment instruction (REGTEXT 2), split over AMDPARs a.-f.")
    w("[amendment]")
    w("intro = %s" % toml_str(amdpars[1]))
    w("")
    for letter, ctry, verb, names, text in amd:
        w("[[amendment.instruction]]")
        w("letter = %s" % toml_str(letter))
        w("country_as_written = %s" % toml_str(ctry))
        w("country = %s" % toml_str(ISO[ctry]))
        w("verb = %s" % toml_str(verb))
        w("names = %s" % toml_val(names))
        w("text = %s" % toml_str(text))
        w("")
    w("# The bullet list in SUPPLEMENTARY INFORMATION (per destination heading), verbatim and cleaned")
    w("# (bullet, trailing ', and' / ',' / '.' removed).  Note 'Spacety Co. Ltd.' (no comma) under China")
    w("# here, against 'Spacety Co., Ltd.' in the AMDPAR and the table.")
    for head, t in bullets:
        clean = re.sub(r"^\u2022\s*", "", t)
        clean = re.sub(r"(,? and|,|\.)$", "", clean).strip()
        if clean.endswith((" Co", " Ltd", " Inc")) and not t.endswith(","):
            clean = clean + "."  # doubt: keep abbreviation period when the bullet ends the list
        w("[[supplementary_bullet]]")
        w("heading = %s" % toml_str(head))
        w("text = %s" % toml_str(t))
        w("name = %s" % toml_str(clean))
        w("")
    w("# The 13 Entity List entries, in table order.")
    for n, e in enumerate(entries, 1):
        w("[[entry]]")
        w("index = %d" % n)
        w("country = %s" % toml_str(ISO[e["country_as_written"]]))
        w("country_as_written = %s" % toml_str(e["country_as_written"]))
        w("name = %s" % toml_str(e["name"]))
        w("aka_head = %s" % toml_str(e["aka_head"]))
        w("alias_count_stated = %s  # word in the cell; equals len(aliases)" % toml_str(e["alias_count_word"]))
        w("aliases = %s" % toml_val(e["aliases"]))
        w("alias_lines_verbatim = %s" % toml_val(e["alias_lines"]))
        w("address_in_entity_cell = %s" % toml_val(e["address_lines"]))
        w("address_continuation_rows = %s  # table row numbers (1-based) holding the address" % toml_val(e["address_rows"]))
        w("address_in_continuation_rows = %s" % toml_val(e["cont_lines"]))
        full = " ".join(e["address_lines"] + e["cont_lines"])
        w("address = %s  # the entry's full address text (cell LI or continuation row)" % toml_str(full))
        parts = [p.strip() for p in re.split(r"; and ", full)]
        w("addresses = %s  # split on '; and '" % toml_val(parts))
        w("license_requirement = %s" % toml_str(e["license_requirement"]))
        w("license_requirement_verbatim = %s  # white space as in the file (U+2009 after the section sign)" % toml_str(e["license_requirement_verbatim"]))
        w("license_requirement_footnote = 3  # <SU>3</SU> after 734.9(g),")
        w("license_review_policy = %s" % toml_str(e["license_review_policy"]))
        w("license_review_policy_verbatim = %s" % toml_str(e["license_review_policy_verbatim"]))
        w("citation_cell_verbatim = %s" % toml_str(e["citation_cell"]))
        w("page = %d" % e["page"])
        w("citation = %s" % toml_str("88 FR %d, 2/27/2023" % e["page"]))
        w("table_row = %d" % e["row"])
        w("")
    w("# Every GPOTABLE ROW in order, classified.  kinds: spacer (one blank ENT I=22);")
    w("# stars (one ENT I=28 of asterisks); column_titles (ENT I=25 'Country' ...);")
    w("# country (ENT I=01 with the country name, maybe plus a stars ENT); stars_in_entity_column")
    w("# (blank ENT + asterisks ENT A=03); address_continuation (blank ENT + an address only);")
    w("# entry (5 ENTs).")
    for info in row_info:
        w("[[row]]")
        for k in ("row", "kind", "ent_count", "first_ent_I", "first_ent_raw", "RUL", "page", "country"):
            w("%s = %s" % (k, toml_val(info[k])))
        if "text" in info:
            w("text = %s" % toml_str(info["text"]))
        w("")
    w("[row_counts]")
    kinds = {}
    for info in row_info:
        kinds[info["kind"]] = kinds.get(info["kind"], 0) + 1
    w("total = %d" % len(row_info))
    for k in sorted(kinds):
        w("%s = %d" % (k, kinds[k]))
    w("")
    with open(out_path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(L))
    print("wrote", out_path, kinds)


if __name__ == "__main__":
    main()
