"""Secrets at rest and in transit: KMS-wrapped master key, AES-256-GCM key storage, rotation.

Submodules are imported by name (no re-exports here) so that a function importing one of them,
e.g. the interactions function importing `transit`, does not pay for the others.
"""

from tzurot.redaction import install_redaction

# KMS responses hold key material; botocore logs response bodies at DEBUG. Scrub every record
# and keep wire loggers at INFO in any process that touches keys.
install_redaction()
