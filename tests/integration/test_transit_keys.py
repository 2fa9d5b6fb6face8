"""Transit keys at rest (tzurot.crypto.transit_keys) against real PostgreSQL and moto's KMS:
the private half only wrapped, one KMS Decrypt per key per container, the rotation window."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.fakes.kms import mock_kms
from tzurot.crypto import transit_keys
from tzurot.crypto.errors import JobTokenInvalid, KmsUnavailable, TransitDecryptionFailed
from tzurot.crypto.transit import Binding, open_token, seal
from tzurot.crypto.transit_keys import TransitKeyring, current_key, list_keys, rotate


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def kms(monkeypatch):
    transit_keys.forget_unwrapped_keys()
    with mock_kms(monkeypatch) as mock:
        yield mock
    transit_keys.forget_unwrapped_keys()


def token_for(public_key, interaction: str = "1001"):
    return seal(
        public_key, "tok-" + interaction, Binding.token(interaction_id=interaction, user_id="7")
    )


def opens(keyring, sealed, interaction: str = "1001") -> str:
    return open_token(keyring, sealed, interaction_id=interaction, user_id="7")


def test_first_rotation_makes_the_current_key_and_stores_only_its_wrapped_private_half(db, kms):
    assert current_key(db) is None
    made = rotate(db, kms.client, kms.key_id)
    assert made.retired_at is None and made.kms_key_id == kms.key_id
    assert current_key(db) == made.public_key
    wrapped, public = db.execute(
        "SELECT wrapped_private_key, public_key FROM transit_keys WHERE key_id = %s",
        (made.key_id,),
    ).fetchone()
    assert bytes(public) == made.public_key.key
    # The row holds KMS's ciphertext: unwrapping it (with the key id in the context) gives a
    # private key whose public half is the stored one.
    plain = kms.client.decrypt(
        CiphertextBlob=bytes(wrapped), EncryptionContext=transit_keys.wrap_context(made.key_id)
    )["Plaintext"]
    assert plain not in bytes(wrapped) and len(plain) == 32
    with pytest.raises(Exception, match="InvalidCiphertext"):
        kms.client.decrypt(
            CiphertextBlob=bytes(wrapped), EncryptionContext=transit_keys.wrap_context("tother")
        )


def test_a_worker_unwraps_each_key_once_per_container(db, kms):
    public = rotate(db, kms.client, kms.key_id).public_key
    transit_keys.forget_unwrapped_keys()  # a worker is another process than the rotation's
    kms.calls.clear()
    keyring = TransitKeyring(db, kms.client)
    for n in range(5):
        assert opens(keyring, token_for(public, str(n)), str(n)) == f"tok-{n}"
    assert kms.calls == {"Decrypt": 1}
    # A new keyring in the same container (a new Worker) reuses the unwrapped key.
    assert opens(TransitKeyring(db, kms.client), token_for(public)) == "tok-1001"
    assert kms.calls == {"Decrypt": 1}


def test_rotation_window_previous_key_opens_for_fifteen_minutes(db, kms):
    clock = Clock()
    first = rotate(db, kms.client, kms.key_id).public_key
    keyring = TransitKeyring(db, kms.client, clock=clock, refresh_seconds=3600)
    old_box = token_for(first)
    assert opens(keyring, old_box) == "tok-1001"

    second = rotate(db, kms.client, kms.key_id)
    rows = {k.key_id: k for k in list_keys(db)}
    window = rows[first.kid].retired_at - second.created_at
    assert timedelta(minutes=14, seconds=59) < window <= timedelta(minutes=15)
    assert rows[second.key_id].retired_at is None

    # The worker hears of the new key from the first job sealed under it (one reload) ...
    clock.now += 10
    assert opens(keyring, token_for(second.public_key)) == "tok-1001"
    # ... and still opens the old key's boxes within the window, not after it.
    clock.now += 14 * 60
    assert opens(keyring, old_box) == "tok-1001"
    clock.now += 61
    with pytest.raises(JobTokenInvalid, match=f"transit key {first.kid} is retired"):
        opens(keyring, old_box)
    assert opens(keyring, token_for(second.public_key)) == "tok-1001"


def test_a_retired_key_is_refused_by_a_fresh_worker_and_rotation_never_extends_a_window(db, kms):
    first = rotate(db, kms.client, kms.key_id)
    second = rotate(db, kms.client, kms.key_id)
    before = {k.key_id: k.retired_at for k in list_keys(db)}
    third = rotate(db, kms.client, kms.key_id, grace=timedelta(hours=1))
    after = {k.key_id: k.retired_at for k in list_keys(db)}
    assert after[first.key_id] == before[first.key_id]  # not pushed out by the longer grace
    assert after[second.key_id] > before[first.key_id] and after[third.key_id] is None
    db.execute(
        "UPDATE transit_keys SET retired_at = now() - interval '1 second' WHERE key_id = %s",
        (first.key_id,),
    )
    keyring = TransitKeyring(db, kms.client)
    with pytest.raises(JobTokenInvalid, match=f"transit key {first.key_id} is unknown or retired"):
        opens(keyring, token_for(first.public_key))
    assert opens(keyring, token_for(second.public_key)) == "tok-1001"
    assert [k.key_id for k in list_keys(db)] == [first.key_id, second.key_id, third.key_id]


def test_one_current_key_at_a_time(db, kms):
    rotate(db, kms.client, kms.key_id)
    rotate(db, kms.client, kms.key_id)
    assert [k.retired_at is None for k in list_keys(db)] == [False, True]
    assert db.execute("SELECT count(*) FROM transit_keys WHERE retired_at IS NULL").fetchone() == (
        1,
    )


def test_a_wrapped_blob_moved_to_another_row_does_not_unwrap(db, kms):
    first = rotate(db, kms.client, kms.key_id)
    second = rotate(db, kms.client, kms.key_id)
    db.execute(
        "UPDATE transit_keys SET wrapped_private_key ="
        " (SELECT wrapped_private_key FROM transit_keys WHERE key_id = %s) WHERE key_id = %s",
        (first.key_id, second.key_id),
    )
    transit_keys.forget_unwrapped_keys()
    with pytest.raises(
        TransitDecryptionFailed, match=f"KMS will not unwrap transit key {second.key_id}"
    ):
        TransitKeyring(db, kms.client).private_key(second.key_id)


def test_kms_down_at_a_cold_worker_is_retryable(db, kms, monkeypatch):
    public = rotate(db, kms.client, kms.key_id).public_key
    transit_keys.forget_unwrapped_keys()
    from botocore.exceptions import EndpointConnectionError

    def down(**_):
        raise EndpointConnectionError(endpoint_url="https://kms.example")

    monkeypatch.setattr(kms.client, "decrypt", down)
    with pytest.raises(KmsUnavailable, match="could not unwrap transit key") as caught:
        opens(TransitKeyring(db, kms.client), token_for(public))
    assert caught.value.retryable


def test_rotate_transit_and_transit_status_through_the_cli(db, kms, monkeypatch, capsys):
    import re

    from tzurot.cli.main import main
    from tzurot.crypto.transit import PublicKey

    monkeypatch.setenv("KMS_KEY_ID", kms.key_id)
    assert main(["keys", "transit-status"]) == 0
    assert capsys.readouterr().out == "no transit key yet: run `tzurot keys rotate-transit`\n"

    assert main(["keys", "rotate-transit"]) == 0
    first_out = capsys.readouterr().out.splitlines()
    assert len(first_out) == 2
    assert re.fullmatch(r"transit key t[0-9a-f]{8} is current \(.*\)", first_out[0])
    assert first_out[0].endswith(f"(private half wrapped by KMS key {kms.key_id})")
    first = PublicKey.parse(first_out[1].removeprefix("TRANSIT_PUBLIC_KEY="))
    assert current_key(db) == first

    assert main(["keys", "rotate-transit", "--grace-minutes", "30"]) == 0
    out = capsys.readouterr().out.splitlines()
    second = PublicKey.parse(out[1].removeprefix("TRANSIT_PUBLIC_KEY="))
    assert out[2].startswith(f"previous key {first.kid} opens boxes until ")
    assert out[2].endswith("(sam deploy --parameter-overrides TransitPublicKey=...)")
    window = db.execute(
        "SELECT retired_at - (SELECT created_at FROM transit_keys WHERE key_id = %s)"
        " FROM transit_keys WHERE key_id = %s",
        (second.kid, first.kid),
    ).fetchone()[0]
    assert timedelta(minutes=29) < window <= timedelta(minutes=30)

    assert main(["keys", "transit-status"]) == 0
    status = capsys.readouterr().out.splitlines()
    assert status[0].startswith(f"{first.kid:<12} previous, opens boxes until ")
    assert status[1].startswith(f"{second.kid:<12} current  created ")

    with pytest.raises(SystemExit):
        main(["keys", "rotate-transit", "--grace-minutes", "0"])
    assert "--grace-minutes: must be at least 1" in capsys.readouterr().err
    monkeypatch.delenv("KMS_KEY_ID")
    assert main(["keys", "rotate-transit"]) == 1
    assert capsys.readouterr().err == (
        "tzurot: error: KMS_KEY_ID is not set: which KMS key should wrap the transit key?\n"
    )
