-- How many parts of a job's answer have reached Discord (the edit of the deferred message is the
-- first). A worker records it after each part of a multi-part answer, so that a redelivery after
-- Discord failed part-way sends only the parts still missing (tzurot.jobs.idempotency).
ALTER TABLE processed_interactions
    ADD COLUMN replies_sent integer NOT NULL DEFAULT 0
        CONSTRAINT processed_interactions_replies_sent_check CHECK (replies_sent >= 0);
