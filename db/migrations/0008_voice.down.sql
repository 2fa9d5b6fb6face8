ALTER TABLE processed_interactions DROP COLUMN voice_audio, DROP COLUMN voice_status;
ALTER TABLE users DROP COLUMN voice_hint_shown_at;
DROP TABLE user_voice_settings;
