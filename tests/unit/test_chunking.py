"""Splitting long answers into Discord messages: boundaries, code fences, limits."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tzurot.discord.chunking import DISCORD_MESSAGE_LIMIT, measure, split_message

FENCE_LINE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def fence_lines(piece: str) -> list[str]:
    return [line for line in piece.splitlines() if FENCE_LINE.match(line)]


def sentence(n: int) -> str:
    return f"This is sentence number {n} of the answer, long enough to matter."


def test_short_text_is_one_piece_unchanged():
    assert split_message("Hello there.\n\nGeneral Kenobi!") == ["Hello there.\n\nGeneral Kenobi!"]


def test_blank_text_is_no_piece():
    assert split_message("  \n ") == []


def test_exactly_the_limit_is_one_piece():
    text = "a" * DISCORD_MESSAGE_LIMIT
    assert split_message(text) == [text]


def test_paragraph_boundary_preferred_over_a_later_line_or_sentence():
    first = "\n".join(sentence(n) for n in range(20))  # 20 lines, ~1300 chars
    second = " ".join(sentence(n) for n in range(20, 35))  # one long line
    text = f"{first}\n\n{second}"
    assert len(text) > 2000
    assert split_message(text) == [first, second]


def test_a_long_paragraph_is_cut_after_a_sentence():
    text = " ".join(sentence(n) for n in range(60))
    pieces = split_message(text)
    assert len(pieces) == 2
    assert pieces[0].endswith("of the answer, long enough to matter.")
    assert measure(pieces[0]) <= 2000
    assert pieces[0] + " " + pieces[1] == text


def test_not_cut_so_early_that_a_message_is_nearly_empty():
    # A paragraph break right at the start would make a 30-character message; a sentence
    # boundary near the limit is taken instead.
    text = "Short opening paragraph.\n\n" + " ".join(sentence(n) for n in range(60))
    pieces = split_message(text)
    assert len(pieces[0]) > 1000


def test_code_block_that_fits_moves_whole_to_the_next_message():
    prose = " ".join(sentence(n) for n in range(23))  # ~1500 chars
    code = "```python\n" + "".join(f"print('line {n}')\n" for n in range(40)) + "```"
    text = f"{prose}\n{code}\nThat was the code."
    pieces = split_message(text)
    assert pieces == [prose, f"{code}\nThat was the code."]


def test_long_code_block_is_closed_and_reopened_with_its_language():
    lines = [f"    value_{n} = compute({n})  # step {n}\n" for n in range(150)]
    text = "Here you go:\n```python\n" + "".join(lines) + "```\nDone."
    pieces = split_message(text)
    assert len(pieces) == 3
    assert measure(pieces[0]) > 1950  # the block fills the message it starts in
    for piece in pieces:
        assert measure(piece) <= 2000
        assert len(fence_lines(piece)) % 2 == 0
    assert pieces[0].startswith("Here you go:\n```python\n")
    for piece in pieces[1:]:
        assert piece.startswith("```python\n")
    assert pieces[-1].endswith("```\nDone.")
    # Every code line survives, in order, exactly once.
    code = [line for piece in pieces for line in piece.splitlines(keepends=True)]
    assert [line for line in code if "compute(" in line] == lines


def test_unclosed_code_block_cut_off_by_max_tokens_is_closed_in_every_piece():
    text = "```js\n" + "".join(f"console.log({n});\n" for n in range(300))
    pieces = split_message(text)
    assert len(pieces) > 1
    for piece in pieces:
        assert piece.startswith("```js\n")
        assert piece.endswith("```")
        assert measure(piece) <= 2000


def test_tilde_fences_are_code_blocks_too():
    code = "~~~\n" + "x = 1\n" * 100 + "~~~"
    text = "a " * 900 + "\n" + code
    pieces = split_message(text)
    assert pieces[-1] == code


def test_word_longer_than_a_message_is_cut_hard():
    text = "start " + "x" * 4500 + " end"
    pieces = split_message(text)
    assert pieces == ["start " + "x" * 1994, "x" * 2000, "x" * 506 + " end"]


def test_limit_counts_utf16_units_so_astral_emoji_count_twice():
    text = "😀" * 1500  # 1500 characters, 3000 UTF-16 units
    pieces = split_message(text)
    assert [measure(p) for p in pieces] == [2000, 1000]
    assert [len(p) for p in pieces] == [1000, 500]
    assert "".join(pieces) == text


def test_custom_limit():
    assert split_message("one. two. three. four.", limit=20) == ["one. two. three.", "four."]
    with pytest.raises(ValueError, match="limit too small"):
        split_message("x", limit=5)


# --- properties ---------------------------------------------------------------------------

_word = st.text(alphabet="abcdefghij😀é.!?,", min_size=1, max_size=30)
_prose_line = st.lists(_word, min_size=0, max_size=40).map(" ".join)
_code_block = st.tuples(
    st.sampled_from(["", "python", "js"]),
    st.lists(st.text(alphabet="abc =(){};'", max_size=60), min_size=1, max_size=80),
).map(lambda t: "```" + t[0] + "\n" + "\n".join(t[1]) + "\n```")
_document = st.lists(st.one_of(_prose_line, _prose_line, _code_block, st.just("")), max_size=60)


def _content(text: str) -> str:
    """The text without fence lines and whitespace: what splitting must preserve."""
    kept = [line for line in text.splitlines() if not FENCE_LINE.match(line)]
    return re.sub(r"\s+", "", "".join(kept))


@settings(max_examples=150, deadline=None)
@given(_document, st.sampled_from([200, 500, 2000]))
def test_pieces_fit_keep_fences_balanced_and_lose_nothing(blocks, limit):
    text = "\n".join(blocks)
    pieces = split_message(text, limit=limit)
    for piece in pieces:
        assert piece.strip() == piece and piece
        assert measure(piece) <= limit
        assert len(fence_lines(piece)) % 2 == 0
    assert _content("\n".join(pieces)) == _content(text)
