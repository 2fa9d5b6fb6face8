-- Transit keys (tzurot.crypto.transit_keys): X25519 key pairs that seal a job's interaction
-- token and /wallet set key for their trip through SQS. The interactions function holds only
-- the public half (TRANSIT_PUBLIC_KEY); the private half exists at rest only wrapped by KMS
-- (GenerateDataKey under {"purpose": "tzurot-transit-key", "key_id": key_id}), opened by the
-- workers once per container. `retired_at` NULL: the current key; a time: the key still opens
-- boxes until then (`tzurot keys rotate-transit` sets it 15 minutes ahead, a token's life).
CREATE TABLE transit_keys (
    key_id varchar(32) PRIMARY KEY CHECK (key_id ~ '^[A-Za-z0-9_-]+$'),
    public_key bytea NOT NULL CHECK (octet_length(public_key) = 32),
    wrapped_private_key bytea NOT NULL,
    kms_key_id text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    retired_at timestamptz
);
CREATE UNIQUE INDEX transit_keys_one_current ON transit_keys ((true)) WHERE retired_at IS NULL;
