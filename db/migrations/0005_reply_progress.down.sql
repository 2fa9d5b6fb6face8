ALTER TABLE processed_interactions DROP COLUMN replies_sent;
