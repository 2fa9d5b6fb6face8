-- Users' own characters (/character): a personality may have an owner, and is either public
-- (everyone can talk to it and find it in autocomplete) or private (its owner only). Imported
-- personalities have no owner and are public; the application creates user characters private.
-- Deleting a user deletes their characters (and, by cascade, their aliases and configs links).
ALTER TABLE personalities
    ADD COLUMN owner_id uuid REFERENCES users (id) ON DELETE CASCADE,
    ADD COLUMN visibility varchar(10) NOT NULL DEFAULT 'public'
        CONSTRAINT personalities_visibility_check CHECK (visibility IN ('private', 'public')),
    -- a private personality nobody owns could never be reached by anyone
    ADD CONSTRAINT personalities_private_has_owner CHECK (visibility = 'public' OR owner_id IS NOT NULL);

-- The per-user cap counts a user's characters; autocomplete filters by owner.
CREATE INDEX personalities_owner_idx ON personalities (owner_id) WHERE owner_id IS NOT NULL;
