"""What the commands ask of the catalog: whether a model can be used for a purpose, and the
/imagine default of a provider.

The catalog only ever narrows what is known to fail: a model it does not list, or whose
modalities its provider does not publish, is allowed (an empty catalog refuses nothing), and
/imagine falls back to its constants when the catalog knows no image model of the provider.
"""

from __future__ import annotations

from datetime import date

from tzurot.catalog import store

# The image clients drive Gemini's generateContent models only (not Imagen's predict).
IMAGE_MODEL_PREFIXES = {"google": "gemini-"}
OUTPUT_WORDS = {
    "text": "text",
    "image": "images",
    "audio": "audio",
    "video": "video",
    "embeddings": "embeddings",
    "moderation": "moderation results",
}


def model_refusal(conn, provider: str, model: str, output: str, today: date) -> str | None:
    """Why `model` of `provider` cannot produce `output` ("text" or "image"), in words for the
    user ("`gpt-image-1` was shut down on 2026-10-23"); None when the catalog knows nothing
    against it."""
    known = store.find(conn, provider, model)
    if known is None:
        return None
    if known.shut_down_by(today):
        return f"`{model}` was shut down on {known.shutdown_date:%Y-%m-%d}"
    if known.output_modalities and output not in known.output_modalities:
        makes = " and ".join(OUTPUT_WORDS.get(kind, kind) for kind in known.output_modalities)
        return f"`{model}` makes {makes}, not {OUTPUT_WORDS[output]}"
    return None


def default_image_model(conn, provider: str, today: date) -> str | None:
    """The newest image model of `provider` the catalog lists and that is not shut down."""
    return store.newest_with_output(
        conn, provider, "image", today, id_prefix=IMAGE_MODEL_PREFIXES.get(provider, "")
    )


class ImageModels:
    """/imagine's questions to the catalog, on one connection and day."""

    def __init__(self, conn, today: date):
        self._conn = conn
        self._today = today

    def default(self, provider: str) -> str | None:
        return default_image_model(self._conn, provider, self._today)

    def refusal(self, provider: str, model: str) -> str | None:
        return model_refusal(self._conn, provider, model, "image", self._today)
