"""One party on several lists has one identity (``monitor.analysis.identity``)."""

from __future__ import annotations

from monitor.analysis.identity import entity_identity


def test_list_prefix_and_trailing_legal_form_are_not_part_of_the_identity() -> None:
    same = {
        entity_identity("mfa:shield-ai-inc|US"),
        entity_identity("uel:shield-ai|US"),
        entity_identity("ecl:shield-ai-inc|US"),
        entity_identity("shield-ai-inc|US"),  # a BIS key has no prefix
    }
    assert same == {"shield ai|US"}


def test_country_and_name_still_tell_entities_apart() -> None:
    assert entity_identity("mfa:skydio-inc|US") != entity_identity("mfa:skydio-inc|CA")
    assert entity_identity("uel:skydio-inc|US") != entity_identity("uel:shield-ai|US")


def test_chinese_names_fold_their_legal_form() -> None:
    assert entity_identity("mfa:斯凯迪奥公司|US") == entity_identity("uel:斯凯迪奥有限公司|US")


def test_actions_are_no_entity() -> None:
    assert entity_identity("cn:外交部令2024年第7号") == ""
    assert entity_identity("us:2025-00704") == ""
