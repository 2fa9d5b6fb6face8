"""`tzurot keys rotate-transit|transit-status`: the transit key pair jobs' secrets are sealed to.

`rotate-transit` makes a new key pair (the first one on a new database), stores its private half
wrapped by KMS_KEY_ID, and prints the TRANSIT_PUBLIC_KEY value the interactions function must
get (template parameter TransitPublicKey). The previous key keeps opening boxes for
`--grace-minutes` (default 15, an interaction token's life): switch the function to the new
key within that time. Needs kms:GenerateDataKey under purpose tzurot-transit-key.
"""

from __future__ import annotations

import argparse
from datetime import timedelta

from tzurot.cli.keys import _kms_key_id, _needs_schema, _positive


def add_verbs(verbs: argparse._SubParsersAction) -> None:
    rotate = verbs.add_parser(
        "rotate-transit",
        help="new transit key pair for sealing job secrets; prints TRANSIT_PUBLIC_KEY",
    )
    rotate.add_argument(
        "--kms-key-id", metavar="ID", help="KMS key to wrap it (default: KMS_KEY_ID)"
    )
    rotate.add_argument(
        "--grace-minutes",
        type=_positive,
        default=15,
        metavar="N",
        help="how long the previous key still opens boxes (default 15)",
    )
    rotate.set_defaults(handler=run_rotate_transit)
    status = verbs.add_parser("transit-status", help="transit keys and until when each opens boxes")
    status.set_defaults(handler=run_transit_status)


@_needs_schema
def run_rotate_transit(args: argparse.Namespace) -> int:
    from tzurot.crypto.errors import KeyringStateError
    from tzurot.crypto.kms import kms_client
    from tzurot.crypto.transit_keys import list_keys, rotate
    from tzurot.db.connection import connect

    key_id = _kms_key_id(args)
    if not key_id:
        raise KeyringStateError("KMS_KEY_ID is not set: which KMS key should wrap the transit key?")
    with connect(autocommit=True) as conn:
        made = rotate(conn, kms_client(), key_id, grace=timedelta(minutes=args.grace_minutes))
        previous = [k for k in list_keys(conn) if k.retired_at and k.retired_at > made.created_at]
    print(f"transit key {made.key_id} is current (private half wrapped by KMS key {key_id})")
    print(f"TRANSIT_PUBLIC_KEY={made.public_key}")
    for key in previous:
        print(
            f"previous key {key.key_id} opens boxes until {key.retired_at:%Y-%m-%d %H:%M:%S}"
            f" {key.retired_at:%Z}:"
            " give the interactions function the new TRANSIT_PUBLIC_KEY before then"
            " (sam deploy --parameter-overrides TransitPublicKey=...)"
        )
    return 0


@_needs_schema
def run_transit_status(args: argparse.Namespace) -> int:
    from tzurot.crypto.transit_keys import list_keys
    from tzurot.db.connection import connect

    with connect(autocommit=True) as conn:
        keys = list_keys(conn)
        now = conn.execute("SELECT now()").fetchone()[0]
    if not keys:
        print("no transit key yet: run `tzurot keys rotate-transit`")
        return 0
    for key in keys:
        if key.retired_at is None:
            state = "current"
        elif key.retired_at > now:
            state = f"previous, opens boxes until {key.retired_at:%Y-%m-%d %H:%M:%S %Z}"
        else:
            state = f"retired {key.retired_at:%Y-%m-%d %H:%M %Z}"
        created = f"{key.created_at:%Y-%m-%d %H:%M}"
        print(f"{key.key_id:<12} {state}  created {created}  kms {key.kms_key_id}")
    return 0
