DROP TRIGGER usage_logs_daily ON usage_logs;
DROP FUNCTION usage_daily_add();
DROP TABLE usage_daily;
ALTER TABLE usage_logs DROP COLUMN key_source;
DROP TABLE processed_interactions;
DROP TABLE conversation_messages;
DROP TABLE user_config_overrides;
DROP TABLE app_master_keys;
