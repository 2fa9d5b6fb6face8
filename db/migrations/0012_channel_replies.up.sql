-- Message commands answered as real replies (tzurot.commands.channel_reply).
--
-- answer_message_id: the bot's reply in the channel (posted with the bot token and a
-- message_reference), recorded once it exists, so that streamed edits, the voice upload and a
-- redelivered job edit that message instead of posting a second one.
ALTER TABLE processed_interactions ADD COLUMN answer_message_id varchar(20)
    CONSTRAINT processed_interactions_answer_message_id_check
        CHECK (answer_message_id ~ '^[0-9]{1,20}$');

-- "Ask a personality": a modal submit carries nothing of the message it was opened on, so the
-- endpoint keeps the target's image references (Discord CDN URLs, never the bytes) here when it
-- opens the form, and the chat worker takes them (and deletes the row) when the form comes
-- back. Rows left behind (forms never submitted) are swept after an hour by the next form.
CREATE TABLE ask_targets (
    discord_user_id varchar(20) NOT NULL,
    message_id varchar(20) NOT NULL,
    images jsonb NOT NULL CHECK (jsonb_typeof(images) = 'array'),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (discord_user_id, message_id)
);
CREATE INDEX ask_targets_created_at ON ask_targets (created_at);
