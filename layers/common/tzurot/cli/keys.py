"""`tzurot keys init|rotate|status`: the app master key, wrapped by the KMS key KMS_KEY_ID.

(`rotate-transit` and `transit-status`, the transit key pair: tzurot.cli.transit.)

The operator running these needs kms:GenerateDataKey (init, rotate) and kms:Decrypt (rotate:
it reads the old keys) on that KMS key, and DATABASE_URL pointing at the database.
"""

from __future__ import annotations

import argparse

from tzurot.cli.schema import needs_schema
from tzurot.config import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    keys = subparsers.add_parser(
        "keys", help="app master key: init, rotate, status; transit key: rotate-transit"
    )
    verbs = keys.add_subparsers(dest="keys_verb", required=True)

    init = verbs.add_parser("init", help="create master key version 1 (once per database)")
    init.add_argument("--kms-key-id", metavar="ID", help="KMS key to wrap it (default: KMS_KEY_ID)")
    init.set_defaults(handler=run_init)

    rotate = verbs.add_parser(
        "rotate",
        help="new master key version; re-encrypt every stored key (resumes if interrupted)",
    )
    rotate.add_argument(
        "--kms-key-id",
        metavar="ID",
        help="KMS key for the new version (default: KMS_KEY_ID, else the current version's key)",
    )
    rotate.add_argument(
        "--batch-size", type=_positive, default=100, metavar="N", help="keys per transaction"
    )
    rotate.set_defaults(handler=run_rotate)

    status = verbs.add_parser("status", help="master key versions and how many keys use each")
    status.set_defaults(handler=run_status)

    from tzurot.cli import transit

    transit.add_verbs(verbs)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _kms_key_id(args: argparse.Namespace) -> str | None:
    return args.kms_key_id or Settings.from_env().kms_key_id


def _no_key_tables() -> Exception:
    from tzurot.crypto.errors import KeyringStateError

    return KeyringStateError("this database has no key tables yet: run `tzurot db migrate` first")


_needs_schema = needs_schema(_no_key_tables)


@_needs_schema
def run_init(args: argparse.Namespace) -> int:
    from tzurot.crypto.kms import kms_client
    from tzurot.crypto.master_key import init_master_key
    from tzurot.db.connection import connect

    key_id = _kms_key_id(args)
    with connect(autocommit=True) as conn:
        version = init_master_key(conn, kms_client(), key_id)
    print(f"created master key version {version} (wrapped by KMS key {key_id})")
    return 0


@_needs_schema
def run_rotate(args: argparse.Namespace) -> int:
    from tzurot.crypto.errors import RotationIncomplete
    from tzurot.crypto.kms import kms_client
    from tzurot.crypto.rotation import rotate
    from tzurot.db.connection import connect

    def progress(batches: int, done: int) -> None:
        print(f"batch {batches}: {done} key(s) re-encrypted so far", flush=True)

    requested = _kms_key_id(args)
    with connect(autocommit=True) as conn:
        try:
            result = rotate(
                conn, kms_client(), requested, batch_size=args.batch_size, on_batch=progress
            )
        except RotationIncomplete as exc:
            _summary(exc.result, requested)
            raise
    _summary(result, requested)
    return 0


def _summary(result, requested: str | None) -> None:
    verb = "resumed rotation to" if result.resumed else "rotated to"
    retired = ", ".join(str(v) for v in result.retired) or "none"
    print(
        f"{verb} master key version {result.to_version} (KMS key {result.kms_key_id}): "
        f"re-encrypted {result.reencrypted} key(s) in {result.batches} batch(es); "
        f"retired version(s): {retired}"
    )
    if result.resumed and requested and requested != result.kms_key_id:
        # The unfinished rotation's version already existed under its own KMS key.
        print(
            f"note: KMS key {requested} was not used: an unfinished rotation was finished "
            "first; run `tzurot keys rotate` again to move to it"
        )


@_needs_schema
def run_status(args: argparse.Namespace) -> int:
    from tzurot.crypto.master_key import list_versions
    from tzurot.db.connection import connect

    with connect(autocommit=True) as conn:
        versions = list_versions(conn)
        counts = dict(
            conn.execute(
                "SELECT key_version, count(*) FROM user_api_keys GROUP BY key_version"
            ).fetchall()
        )
    if not versions:
        print("no master key yet: run `tzurot keys init`")
        return 0
    for v in versions:
        when = f", retired {v.retired_at:%Y-%m-%d %H:%M}" if v.retired_at else ""
        print(
            f"version {v.version:<4} {v.status:<9} {counts.get(v.version, 0):>7} key(s)  "
            f"created {v.created_at:%Y-%m-%d %H:%M}{when}  kms {v.kms_key_id}"
        )
    if any(v.status == "previous" for v in versions):
        print("a rotation is unfinished: run `tzurot keys rotate` to finish it")
    return 0
