-- Voice (issue 12): what a user chose, whether they were told how to get voice, and how far a
-- job's spoken reply got.

-- A user's choice to hear replies spoken: for one personality, or (personality_id NULL) their
-- default for all. No row: on, whenever the personality has a voice.
CREATE TABLE user_voice_settings (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    personality_id uuid REFERENCES personalities (id) ON DELETE CASCADE,
    enabled boolean NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE NULLS NOT DISTINCT (user_id, personality_id)
);

-- When a user without an ElevenLabs key was told once that `/wallet set elevenlabs` adds voice.
ALTER TABLE users ADD COLUMN voice_hint_shown_at timestamptz;

-- A job's spoken reply: 'synthesized' (paid for and counted; not on Discord yet), 'sent'
-- (attached), 'failed' (given up, the user was told). NULL: not attempted. `voice_audio` holds
-- the audio only while an upload that Discord failed waits for the job's redelivery, so a retry
-- uploads it again instead of paying for it twice (tzurot.commands.voice).
ALTER TABLE processed_interactions
    ADD COLUMN voice_status varchar(12)
        CONSTRAINT processed_interactions_voice_status_check
        CHECK (voice_status IN ('synthesized', 'sent', 'failed')),
    ADD COLUMN voice_audio bytea;
