"""One party on several lists is one entity: the identity shared by its records.

The MOFCOM UEL and ECL and the MFA countermeasure list each keep their own record of a
party (``uel:skydio-inc|US``, ``ecl:skydio-inc|US``, ``mfa:skydio-inc|US``), and a BIS entry
is keyed without a prefix. ``history`` and ``screen`` show such records as one entity: the
identity of a key is its folded name without the list prefix and without trailing legal forms
(``Shield AI, Inc.`` and ``Shield AI`` are one), plus the country. Names in Chinese only fold
as ``namematch.fold_zh`` does (``有限公司`` dropped). Pure: keys in, identities out.
"""

from __future__ import annotations

from monitor.analysis.namematch import fold_zh, is_chinese, words

# Derived lists whose keys carry the list as a prefix (``monitor.sources.*.lists``).
PREFIXED_LISTS = frozenset({"uel", "ecl", "mfa"})


def entity_identity(key: str) -> str:
    """``shield ai|US`` for ``mfa:shield-ai-inc|US``, ``uel:shield-ai|US`` and ``shield-ai|US``;
    "" for an action's key (``cn:…``, ``us:…``), which is no party."""
    prefix, colon, rest = key.partition(":")
    if colon:
        if prefix not in PREFIXED_LISTS:
            return ""
        key = rest
    name, bar, country = key.rpartition("|")
    if not bar:
        name, country = key, ""
    text = name.replace("-", " ")
    folded = fold_zh(text) if is_chinese(text) else " ".join(words(text))
    return f"{folded or text}|{country}"
