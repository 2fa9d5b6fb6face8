"""Finding 16: deeply nested JSON in the advanced-parameters form gets a clear refusal."""

from __future__ import annotations

import pytest

from tzurot.commands.user_config import MAX_ADVANCED_DEPTH, parse_advanced


@pytest.mark.parametrize(
    "text",
    ["[" * 3000 + "]" * 3000, '{"a":' * 1500 + "1" + "}" * 1500, "[" * 3999],
    ids=["arrays", "objects", "unclosed"],
)
def test_deep_nesting_is_refused_clearly(text):
    from tzurot.commands.account import Refusal

    with pytest.raises(Refusal) as refused:
        parse_advanced(text)
    assert f"nested more than {MAX_ADVANCED_DEPTH} levels deep" in str(refused.value)


def test_brackets_inside_strings_do_not_count_and_real_parameters_parse():
    text = '{"stop": ["[[[[[[[[[[[[[[[[[[[[[[[[[", "\\\\\\"{"], "reasoning": {"effort": "low"}}'
    assert parse_advanced(text) == {
        "stop": ["[" * 25, '\\"{'],
        "reasoning": {"effort": "low"},
    }
