DROP TABLE ask_targets;
ALTER TABLE processed_interactions DROP COLUMN answer_message_id;
