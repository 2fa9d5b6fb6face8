"""Secrets at rest and in transit: KMS-wrapped master key, AES-256-GCM key storage, rotation.

Submodules are imported by name (no re-exports here) so that a function importing one of them,
e.g. the interactions function importing `transit`, does not pay for the others.
"""
