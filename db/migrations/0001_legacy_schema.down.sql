DROP TABLE user_personality_configs;
DROP TABLE personality_default_configs;
DROP TABLE llm_configs;
DROP TABLE personalities;
DROP TABLE system_prompts;
DROP TABLE users;
