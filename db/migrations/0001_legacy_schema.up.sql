-- The pre-proposal tables this system adopts (DATA.md, "The legacy starting point").
-- An existing database of this shape is adopted with `tzurot db adopt` instead of running this.

CREATE TABLE users (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    discord_id varchar(20) NOT NULL UNIQUE,
    username varchar(255),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE system_prompts (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name varchar(255) NOT NULL UNIQUE,
    description text,
    content text NOT NULL,
    is_default boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE personalities (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name varchar(255) NOT NULL,
    display_name varchar(255),
    slug varchar(255) NOT NULL UNIQUE,
    system_prompt_id uuid REFERENCES system_prompts (id) ON DELETE SET NULL,
    character_info text,
    personality_traits text,
    personality_tone text,
    personality_age text,
    personality_appearance text,
    personality_likes text,
    personality_dislikes text,
    conversational_goals text,
    conversational_examples text,
    custom_fields jsonb,
    voice_enabled boolean NOT NULL DEFAULT false,
    voice_settings jsonb,
    image_enabled boolean NOT NULL DEFAULT false,
    image_settings jsonb,
    avatar_data bytea,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE llm_configs (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name varchar(255) NOT NULL,
    description text,
    owner_id uuid REFERENCES users (id) ON DELETE CASCADE,
    is_global boolean NOT NULL DEFAULT false,
    is_default boolean NOT NULL DEFAULT false,
    model varchar(255) NOT NULL,
    vision_model varchar(255),
    temperature numeric(3, 2),
    top_p numeric(3, 2),
    top_k integer,
    frequency_penalty numeric(3, 2),
    presence_penalty numeric(3, 2),
    repetition_penalty numeric(3, 2),
    max_tokens integer,
    memory_score_threshold numeric(3, 2),
    memory_limit integer,
    context_window_tokens integer NOT NULL DEFAULT 131072,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE personality_default_configs (
    personality_id uuid PRIMARY KEY REFERENCES personalities (id) ON DELETE CASCADE,
    llm_config_id uuid NOT NULL REFERENCES llm_configs (id) ON DELETE CASCADE,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE user_personality_configs (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    personality_id uuid NOT NULL REFERENCES personalities (id) ON DELETE CASCADE,
    llm_config_id uuid NOT NULL REFERENCES llm_configs (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, personality_id)
);
