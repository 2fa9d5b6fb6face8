"""Crypto errors that callers branch on. Messages never hold key material or ciphertext.

CryptoError
├── MasterKeyUnavailable     no master key initialised, unknown version, or KMS could not unwrap
├── KmsUnavailable           KMS unreachable, throttled or refusing (retry later)
├── DecryptionFailed         wrong master key, wrong associated data or tampered ciphertext
│   ├── MalformedCiphertext  stored fields are not what encryption produced (truncated, non-hex)
│   └── MasterKeyVersionMissing  the row names a master key version that does not exist (also
│                                a MasterKeyUnavailable): its owner must add the key again
├── TransitDecryptionFailed  a sealed secret does not open for its binding, or its transit key
│                            is unknown or retired
├── JobTokenInvalid          a job's sealed interaction token does not open (tampered, moved)
├── InvalidSecret            a secret that cannot be sealed or stored (empty, too large)
├── KeyInactive              the user's stored key is switched off (it failed at its provider)
├── KeyringStateError        `keys init` on an initialised keyring, `keys rotate` before init
└── RotationIncomplete       some stored keys did not decrypt, so the old version stays readable

`retryable` says whether trying the same thing later can succeed (an outage) or not (bad data).
"""

from __future__ import annotations

from tzurot.errors import TzurotError


class CryptoError(TzurotError):
    """Base of every crypto failure."""

    retryable: bool = False


class MasterKeyUnavailable(CryptoError):
    """The app master key cannot be had: not initialised, unknown version, or KMS refused."""

    def __init__(self, message: str, *, retryable: bool = False):
        super().__init__(message)
        self.retryable = retryable


class KmsUnavailable(CryptoError):
    """KMS could not be reached or refused the call for a reason other than the ciphertext."""

    retryable = True


class DecryptionFailed(CryptoError):
    """The ciphertext does not authenticate: wrong key, wrong associated data, or tampered."""


class MasterKeyVersionMissing(MasterKeyUnavailable, DecryptionFailed):
    """A stored row names a master key version that does not exist (deleted, or the row was
    tampered with): nothing will ever open it, so its owner must add the key again."""

    def __init__(self, version: int):
        super().__init__(f"master key version {version} does not exist")
        self.version = version


class MalformedCiphertext(DecryptionFailed):
    """The stored fields are not valid output of encryption (wrong length, non-hex, empty)."""


class TransitDecryptionFailed(CryptoError):
    """A sealed secret does not open: tampered, made for another binding (interaction, user,
    provider, purpose, key id), or under a transit key that is unknown or retired."""


class JobTokenInvalid(CryptoError):
    """A job's sealed interaction token does not open (see TransitDecryptionFailed): the worker
    cannot answer it and sends it towards the DLQ."""


class InvalidSecret(CryptoError):
    """A secret that cannot be protected as given (empty or too large)."""


class KeyInactive(CryptoError):
    """The user has a key for this provider, but it is switched off (the provider rejected it).

    Callers must not quietly use another key instead (the operator's guest key): the user is
    told, and a new key (/wallet set) or a passed check (/wallet test) switches it on again.
    """

    def __init__(self, provider: str):
        self.provider = provider
        super().__init__(f"the stored {provider} key is switched off")


class KeyringStateError(CryptoError):
    """The master-key table is not in the state an operator command needs."""


class RotationIncomplete(CryptoError):
    """A rotation finished its pass but some stored keys could not be re-encrypted."""

    def __init__(self, message: str, result=None):
        super().__init__(message)
        self.result = result  # the RotationResult of the pass
