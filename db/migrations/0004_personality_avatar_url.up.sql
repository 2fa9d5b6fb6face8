-- A personality's avatar as a URL (shapes.inc exports carry one). The legacy avatar_data bytea
-- stays for pictures stored inline; the URL is what Discord webhooks and embeds take.
ALTER TABLE personalities
    ADD COLUMN avatar_url text
        CONSTRAINT personalities_avatar_url_http CHECK (avatar_url ~* '^https?://\S+$');
