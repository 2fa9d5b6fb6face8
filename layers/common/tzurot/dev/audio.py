"""Small, valid MP3 audio made in code, for the fake ElevenLabs (tests and `tzurot dev`).

An MP3 file is a run of MPEG audio frames, each a 4-byte header and a fixed-size body. A frame
whose side information is all zero carries no spectral data, so a decoder plays silence: what a
fake text-to-speech service needs to answer with something every player accepts. `frames` reads
the headers back, so tests can check that what reached Discord is still a well-formed MP3.
"""

from __future__ import annotations

SAMPLE_RATE = 44_100
BITRATE = 64_000  # the output_format the app asks for: mp3_44100_64
SAMPLES_PER_FRAME = 1152  # MPEG-1 Layer III
# MPEG-1 Layer III bitrates (kbps) by the header's 4-bit index; 0 "free" and 15 "bad" unused.
_BITRATES = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 0)
_SAMPLE_RATES = (44_100, 48_000, 32_000, 0)


def frame_header(bitrate: int = BITRATE, sample_rate: int = SAMPLE_RATE) -> bytes:
    """sync (11 bits), MPEG-1, Layer III, no CRC; bitrate, sample rate, no padding; mono,
    original."""
    index = _BITRATES.index(bitrate // 1000)
    rate = _SAMPLE_RATES.index(sample_rate)
    return bytes((0xFF, 0xFB, (index << 4) | (rate << 2), 0xC4))


def frame_length(bitrate: int = BITRATE, sample_rate: int = SAMPLE_RATE, padding: int = 0) -> int:
    return 144 * bitrate // sample_rate + padding


def silent_mp3(seconds: float = 0.5) -> bytes:
    """`seconds` of silence (rounded up to whole frames) as mono MP3 at 64 kbps, 44.1 kHz."""
    count = max(1, -(-int(seconds * SAMPLE_RATE) // SAMPLES_PER_FRAME))
    # After the header: 17 bytes of (mono) side information, then main data; all zero.
    frame = frame_header() + bytes(frame_length() - 4)
    return frame * count


def frames(data: bytes) -> list[tuple[int, int, int]]:
    """(offset, bitrate, sample rate) of each MPEG-1 Layer III frame, walking the headers from
    the start; ValueError where something that is not such a frame begins."""
    found = []
    offset = 0
    while offset < len(data):
        header = data[offset : offset + 4]
        if len(header) < 4 or header[0] != 0xFF or header[1] & 0xFE != 0xFA:
            raise ValueError(f"no MPEG-1 Layer III frame header at byte {offset}")
        bitrate = _BITRATES[header[2] >> 4] * 1000
        sample_rate = _SAMPLE_RATES[(header[2] >> 2) & 0x3]
        if not bitrate or not sample_rate:
            raise ValueError(f"unusable bitrate or sample rate in the frame at byte {offset}")
        length = frame_length(bitrate, sample_rate, (header[2] >> 1) & 0x1)
        if offset + length > len(data):
            raise ValueError(f"the frame at byte {offset} is cut short")
        found.append((offset, bitrate, sample_rate))
        offset += length
    return found


FAKE_MP3 = silent_mp3()  # what the fake ElevenLabs answers with: 20 frames, 4160 bytes
