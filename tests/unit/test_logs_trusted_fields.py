"""The redacting formatter leaves the fields powertools derives from code alone."""

import json

from tzurot.logs import get_logger


def _log_from_a_function_named_like_a_secret(capsys) -> dict:
    logger = get_logger("trusted-fields-test")

    def _enqueue_wallet_key() -> None:
        logger.info("stored sk-proj-abcdefghijklmnopqrstuvwxyz", extra={"api_key": "plain"})

    _enqueue_wallet_key()
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_location_keeps_its_line_number_while_secrets_go(capsys):
    record = _log_from_a_function_named_like_a_secret(capsys)
    name, _, line = record["location"].partition(":")
    assert name == "_enqueue_wallet_key"
    assert line.isdigit()
    assert record["message"] == "stored [REDACTED]"
    assert record["api_key"] == "[REDACTED]"
    assert record["service"] == "trusted-fields-test"
