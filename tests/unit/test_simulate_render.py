"""How `tzurot simulate` prints the worker's replies it reads from the Discord sink."""

from __future__ import annotations

from tzurot.cli.simulate import render_answer


def test_plain_private_reply():
    message = {"content": "Your timezone is `UTC`.", "flags": 64}
    assert render_answer("original", message) == (
        "--- original (only you can see this)\nYour timezone is `UTC`."
    )


def test_embed_with_every_part_and_an_attachment():
    message = {
        "embeds": [
            {
                "author": {"name": "Lilith"},
                "title": "Lilith",
                "description": "a red fox",
                "fields": [
                    {"name": "Aliases", "value": "lil", "inline": True},
                    {"name": "Model", "value": "`gpt-4o-mini` (OpenAI)", "inline": False},
                ],
                "image": {"url": "attachment://image.png"},
                "footer": {"text": "OpenAI · gpt-image-1"},
            }
        ],
        "attachments": [{"id": "1", "filename": "image.png"}],
    }
    assert render_answer("original", message).splitlines() == [
        "--- original",
        "[Lilith]",
        "**Lilith**",
        "a red fox",
        "Aliases: lil",
        "Model: `gpt-4o-mini` (OpenAI)",
        "(image: attachment://image.png)",
        "OpenAI · gpt-image-1",
        "(file: image.png)",
    ]


def test_sink_url_takes_the_api_suffix_or_not():
    from tzurot.cli.simulate import sink_api_url

    assert sink_api_url("http://127.0.0.1:8788") == "http://127.0.0.1:8788/api/v10"
    assert sink_api_url("http://127.0.0.1:8788/") == "http://127.0.0.1:8788/api/v10"
    assert sink_api_url("http://127.0.0.1:8788/api/v10") == "http://127.0.0.1:8788/api/v10"
    assert sink_api_url("http://127.0.0.1:8788/api/v10/") == "http://127.0.0.1:8788/api/v10"
