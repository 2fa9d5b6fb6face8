"""Split a long answer into Discord-sized messages on natural boundaries.

Discord caps a message's text at 2000 characters. An AI answer longer than that continues in
followups, and each piece must read well on its own:

- cuts fall, in order of preference, after a paragraph, a line, a sentence, a word; a hard cut
  only when a single word is longer than a message;
- a fenced code block is never cut when it fits in one message (the cut moves before it); a block
  longer than a message is cut between its lines (it fills up the message it starts in), and
  each piece is closed and reopened with the same fence and language, so every message has
  balanced fences;
- a cut is not taken so early that a message ends up less than half full when a later, slightly
  worse boundary exists (many tiny messages read worse than a cut after a sentence).

Lengths are counted in UTF-16 code units, which is at least the number of characters, so a piece
never exceeds Discord's limit however it counts (emoji outside the BMP count twice).
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field

DISCORD_MESSAGE_LIMIT = 2000

# Boundary quality after a unit: lower is a better place to cut.
PARAGRAPH, LINE, SENTENCE, WORD, HARD = range(5)

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
# After sentence-ending punctuation (and closing quotes/brackets), followed by whitespace.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+")
_WHITESPACE = re.compile(r"\s+")


def measure(text: str) -> int:
    """Length as Discord's limit may count it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _Unit:
    """A piece of text that is never cut, with the quality of a cut right after it."""

    text: str
    quality: int
    size: int = field(init=False)

    def __post_init__(self) -> None:
        self.size = measure(self.text)

    def split(self, room: int) -> tuple[_Unit, _Unit] | None:
        """A head of at most `room` and the rest; only units longer than a message split."""
        return None


@dataclass
class _LongWord(_Unit):
    """A run without any whitespace, longer than a whole message: cut anywhere."""

    def split(self, room: int) -> tuple[_Unit, _Unit] | None:
        head = _prefix(self.text, room)
        if not head:
            return None
        return _Unit(head, HARD), _word_unit(self.text[len(head) :], self.quality, room)


@dataclass
class _CodeBlock(_Unit):
    """A fenced block longer than a message: cut between lines, each part closed and reopened."""

    opener: str = ""  # the opening fence line, newline included
    lines: tuple[str, ...] = ()
    closer: str = "```\n"

    def split(self, room: int) -> tuple[_Unit, _Unit] | None:
        space = room - measure(self.opener) - measure(self.closer)
        taken: list[str] = []
        used = 0
        for line in self.lines:
            if used + measure(line) > space:
                break
            taken.append(line)
            used += measure(line)
        if not taken:  # a single line longer than the space left: cut inside it
            head = _prefix(self.lines[0], space) if self.lines else ""
            if not head:
                return None
            taken, rest_lines = [head], (self.lines[0][len(head) :], *self.lines[1:])
        else:
            rest_lines = self.lines[len(taken) :]
        body = "".join(taken)
        if not body.endswith("\n"):
            body += "\n"
        head_unit = _Unit(self.opener + body + self.closer, LINE)
        return head_unit, _code_unit(self.opener, rest_lines, self.closer, room_limit=None)


def split_message(text: str, limit: int = DISCORD_MESSAGE_LIMIT) -> list[str]:
    """Pieces of `text`, each at most `limit` long, cut on the best boundaries available."""
    if limit < 20:
        raise ValueError("limit too small to split on boundaries")
    text = text.strip()
    if not text:
        return []
    if measure(text) <= limit:
        return [text]
    return _pack(_units(text, limit), limit)


def _pack(units: list[_Unit], limit: int) -> list[str]:
    pieces: list[str] = []
    current: list[_Unit] = []
    queue = deque(units)

    def flush(count: int) -> None:
        nonlocal current
        piece = "".join(unit.text for unit in current[:count]).strip()
        if piece:
            pieces.append(piece)
        current = current[count:]

    while queue:
        unit = queue.popleft()
        size = sum(u.size for u in current)
        if size + unit.size <= limit:
            current.append(unit)
            continue
        if unit.size > limit:
            # It will be cut anyway, so let its head fill this message (if there is room).
            parts = unit.split(limit - size) if limit - size >= limit // 8 else None
            if parts is None:
                flush(len(current))
                parts = unit.split(limit)
            head, rest = parts
            current.append(head)
            flush(len(current))
            queue.appendleft(rest)
            continue
        flush(_cut_index(current, limit))
        queue.appendleft(unit)
    flush(len(current))
    return pieces


def _cut_index(units: list[_Unit], limit: int) -> int:
    """How many of `units` (which fit in one message) to send before cutting."""
    best_index, best_quality = len(units), HARD + 1
    filled = 0
    for index, unit in enumerate(units, start=1):
        filled += unit.size
        if filled * 2 < limit:
            continue  # too early: the message would be less than half full
        if unit.quality <= best_quality:
            best_index, best_quality = index, unit.quality
    return best_index if best_quality <= HARD else len(units)


def _units(text: str, limit: int) -> list[_Unit]:
    """Prose pieces ending on a boundary, and whole code blocks."""
    units: list[_Unit] = []
    lines = text.splitlines(keepends=True)
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index].rstrip("\r\n"))
        if opening:
            end, closed = _closing_line(lines, index, opening.group(1))
            block = lines[index : end + 1]
            units.append(_code_block(block, opening.group(1), closed, limit))
            index = end + 1
            continue
        line = lines[index]
        next_blank = index + 1 < len(lines) and not lines[index + 1].strip()
        quality = PARAGRAPH if (not line.strip() or next_blank) else LINE
        units.extend(_prose_units(line, quality, limit))
        index += 1
    return units


def _closing_line(lines: list[str], start: int, fence: str) -> tuple[int, bool]:
    """Index of the line closing the block opened at `start`, and whether one exists (an
    unclosed block, e.g. an answer cut off by max_tokens, runs to the end of the text)."""
    for index in range(start + 1, len(lines)):
        stripped = lines[index].strip()
        if stripped.startswith(fence[0] * len(fence)) and not stripped.strip(fence[0]):
            return index, True
    return len(lines) - 1, False


def _prose_units(line: str, quality: int, limit: int) -> list[_Unit]:
    """A line as sentences (the last one ends with the line's own boundary quality); a
    sentence longer than a message as words."""
    sentences = _split_keep(line, _SENTENCE_END)
    units: list[_Unit] = []
    for number, sentence in enumerate(sentences, start=1):
        end_quality = quality if number == len(sentences) else SENTENCE
        if measure(sentence) <= limit:
            units.append(_Unit(sentence, end_quality))
            continue
        words = _split_keep(sentence, _WHITESPACE)
        for word_number, word in enumerate(words, start=1):
            word_quality = end_quality if word_number == len(words) else WORD
            units.append(_word_unit(word, word_quality, limit))
    return units


def _word_unit(word: str, quality: int, limit: int) -> _Unit:
    return _LongWord(word, quality) if measure(word) > limit else _Unit(word, quality)


def _code_block(block: list[str], fence: str, closed: bool, limit: int) -> _Unit:
    """A code block as one unit; one longer than a message knows how to cut itself."""
    whole = "".join(block)
    if measure(whole) <= limit:
        return _Unit(whole, LINE)
    opener = block[0].rstrip("\r\n") + "\n"
    if measure(opener) > limit // 4:
        opener = fence + "\n"  # an absurd info string would leave no room for the code
    body = tuple(block[1:-1] if closed else block[1:])
    return _code_unit(opener, body, fence + "\n", room_limit=limit)


def _code_unit(opener: str, lines: tuple[str, ...], closer: str, room_limit: int | None) -> _Unit:
    """The (rest of a) block as a unit: plain when it fits a message, else splittable."""
    body = "".join(lines)
    if body and not body.endswith("\n"):
        body += "\n"
    text = opener + body + closer
    unit = _CodeBlock(text, LINE, opener=opener, lines=lines, closer=closer)
    if room_limit is not None and unit.size <= room_limit:
        return _Unit(text, LINE)
    return unit


def _split_keep(text: str, separator: re.Pattern[str]) -> list[str]:
    """Split after each separator match, keeping the separator on the left piece."""
    pieces, start = [], 0
    for match in separator.finditer(text):
        if match.end() < len(text):
            pieces.append(text[start : match.end()])
            start = match.end()
    pieces.append(text[start:])
    return [piece for piece in pieces if piece]


def _prefix(text: str, room: int) -> str:
    """The longest prefix of `text` of at most `room` UTF-16 units (never half a surrogate
    pair)."""
    size = 0
    for index, char in enumerate(text):
        size += measure(char)
        if size > room:
            return text[:index]
    return text
