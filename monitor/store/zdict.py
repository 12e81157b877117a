"""The preset dictionary of the stored record form (``codec.pack_json``, format 1).

A record's JSON is stored deflated against this dictionary: a ~830-byte CSL record spends a
third of its bytes on field names, and most of the rest on texts many records share. The
dictionary holds those: the JSON skeleton of each source's records (field and meta names,
from the records the sources build) and texts that repeat across the real 2022 Consolidated
Screening List's BIS rows (/work/shared/realdata: license requirements and policies, list
URLs, the commonest words of names and addresses). Nothing synthetic is in it.

NEVER EDIT IT: every stored record of format 1 needs exactly these bytes to be read back
(``tests/store/test_codec.py`` pins their sha256). A better dictionary is a new format byte
with its own constant, and the old one kept for reading.
"""

from __future__ import annotations

from typing import Final

# Deflate finds matches best near the end of the dictionary: the rarer shapes (acts, the
# Chinese lists) come first, the CSL and eCFR records, by far the most numerous, last.
_PARTS: Final[tuple[str, ...]] = (
    # Government acts (Federal Register, MOFCOM, MFA): field names.
    '{"country":"CN","fields":{"actor":"MOFCOM","announced":"","body":"","effective":"",'
    '"instrument":"","issuing_unit":"商务部","jurisdiction":"CN","kind":"","legal_basis":[],'
    '"measure_groups":[],"measure_kinds":[],"measures":[],"parsed_count":"0","parties_en":[],'
    '"parties_zh":[],"party_countries":[],"party_genders":[],"party_measures":[],'
    '"party_roles":[],"party_types":[],"published":"","reasons":[],"refers_to":[],"review":[],'
    '"stated_count":"","title":"","trigger_by":[],"trigger_dates":[],"trigger_text":"",'
    '"triggers":[],"url":"","urls":[],"verb_terms":[],"verbs":[]},"key":"","list":"action",'
    '"meta":{"instrument_as_published":"","layout":"","published_time":""},"name":""}',
    '{"country":"US","fields":{"action":"","actor":"BIS","citations":[],"cited":[],'
    '"country_counts":[],"dates":"","dockets":[],"document_number":"","end_page":"",'
    '"operations":[],"party_addresses":[],"party_aliases":[],"party_citations":[],'
    '"party_license_policies":[],"party_license_requirements":[],"rins":[],"start_page":"",'
    '"volume":""}}',
    # MOFCOM and MFA list entries.
    '{"country":"US","fields":{"entity_type":"","gender":"","history":[],"listed_by":[],'
    '"listed_on":"","measures":[],"measures_text":"","name_en":"","name_zh":"","role":"",'
    '"status":"listed","status_action":"","status_since":""},"key":"","list":"mfa","meta":{},'
    '"name":""}',
    # Words that recur in the real list's names and addresses.
    "Obshchestvo s Ogranichennoi Otvetstvennostyu Research Institute Scientific Development "
    "Engineering Electronics Technologies International Corporation Industrial Trading Group "
    "Limited Company Technology Co., Ltd. P.O. Box Suite Office Unit Block Building, Floor, "
    "Room Zone, Avenue, Centre, Center Industry Science State East Province, District, City, "
    "Street, Road, St., Moscow, Russia, RU Saint Petersburg, Dubai, UAE, AE Tehran, Iran, IR "
    "Hong Kong, Kowloon, HK Haidian District, Beijing, China, Shenzhen, Shanghai, Guangdong CN ",
    # License requirements and policies as the real BIS rows publish them.
    "Policy of denial. See §§ 746.8(b) and 744.21(e). For all items subject to the EAR, see §§ "
    "736.2(b)(3)(vi), and 744.11 of the EAR, EXCEPT for technology subject to the EAR that is "
    "designated as EAR99, or controlled on the Commerce Control List for anti-terrorism reasons "
    "only, when released to members of a “standards organization” (see §772.1) for the purpose "
    "of contributing to the revision or development of a “standard” (see §772.1). "
    "FR NOTICE ADDED F.R. NOTICE ADDED FEDERAL REGISTER NOTICE UPDATED ",
    # The eCFR table's records.
    '{"country":"CN","fields":{"addresses":[],"aliases":[],"citations":[],"countries":[],'
    '"federal_register_notice":"","footnotes":[],"license_policy":"Presumption of denial.",'
    '"license_requirement":"For all items subject to the EAR. (See §744.11 of the EAR)",'
    '"name":""},"key":"","list":"el","meta":{"table_country":"CHINA, PEOPLE\'S REPUBLIC OF"},'
    '"name":""}',
    # The CSL file's records, last: the most numerous.
    '{"country":"CN","fields":{"addresses":["'
    '"],"aliases":["'
    '"],"citations":["'
    ' FR '
    '"],"countries":["CN"],"end_date":"","federal_register_notice":"'
    ' FR '
    '","footnotes":[],"license_policy":"Presumption of denial.",'
    '"license_requirement":"For all items subject to the EAR.  (See §744.11 of the EAR)",'
    '"name":"","programs":[],"remarks":"","standard_order":"","start_date":"20'
    '"},"key":"'
    '|CN","list":"el","meta":{"row_id":"","source_information_url":"http://bit.ly/1L47xrV",'
    '"source_list_url":"https://www.bis.gov/regulations/ear/744#supplement-4-744"},"name":"'
    '"}',
)

RECORD_ZDICT_V1: Final[bytes] = "".join(_PARTS).encode("utf-8")
