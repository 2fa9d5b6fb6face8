"""The text bar chart of /usage and /admin usage, and the small text helpers around it."""

from __future__ import annotations

import pytest

from tzurot.commands import formatting as fmt


@pytest.mark.parametrize(
    ("value", "maximum", "width", "expected"),
    [
        (10, 10, 4, "████"),
        (5, 10, 4, "██"),
        (1, 8, 1, "▏"),  # exactly one eighth
        (3, 16, 2, "▍"),  # 3/16 of 16 eighths = 3 eighths
        (9, 16, 1, "▌"),  # 4.5 eighths rounds to 4 (banker's rounding is fine here)
        (7, 8, 1, "▉"),
        (1, 1_000_000, 20, "▏"),  # tiny but not zero: a sliver
        (0, 10, 4, ""),
        (5, 0, 4, ""),
        (-3, 10, 4, ""),
        (20, 10, 4, "████"),  # never longer than the width
    ],
)
def test_bar_lengths_in_eighths(value, maximum, width, expected):
    assert fmt.bar(value, maximum, width) == expected


def test_bar_chart_aligns_labels_bars_and_numbers():
    chart = fmt.bar_chart(
        [("OpenAI · text", 12_345), ("Anthropic · text", 2_800), ("ElevenLabs · voice", 40)]
    )
    assert chart.split("\n") == [
        "OpenAI · text       ████████████████████  12,345",
        "Anthropic · text    ████▌                  2,800",
        "ElevenLabs · voice  ▏                         40",
    ]


def test_bar_chart_width_and_zero_rows():
    chart = fmt.bar_chart([("a", 4), ("bb", 0), ("c", 2)], width=4)
    assert chart.split("\n") == [
        "a   ████  4",
        "bb        0",
        "c   ██    2",
    ]


def test_bar_chart_cuts_long_labels_and_handles_nothing():
    label = "OpenRouter · text · a very long label"
    assert fmt.bar_chart([(label, 1)], width=1) == "OpenRouter · text · a v…  █  1"
    assert fmt.bar_chart([]) == ""


def test_numbers_and_words():
    assert fmt.tokens(1_234_567) == "1,234,567"
    assert fmt.tokens(0) == "0"
    assert fmt.plural(1, "request") == "1 request"
    assert fmt.plural(2_500, "token") == "2,500 tokens"
    assert fmt.plural(0, "user") == "0 users"


def test_code_and_clip_cannot_break_out():
    assert fmt.code_block("a\nb") == "```text\na\nb\n```"
    assert fmt.code_block("x```y") == "```text\nxʼʼʼy\n```"
    assert fmt.inline_code("a`b") == "`aʼb`"
    assert fmt.clip("abcdef", 4) == "abc…"
    assert fmt.clip("abcd", 4) == "abcd"
    assert fmt.bullets(["one", "two"]) == "• one\n• two"
