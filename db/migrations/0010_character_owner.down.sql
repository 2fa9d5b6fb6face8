-- Without the columns every personality is public to everyone: rolling back while private
-- characters exist would show them to all users, so it is refused until they are deleted or
-- made public (`tzurot personality delete NAME`, or /character visibility public).
DO $$
DECLARE
    private_count integer;
BEGIN
    SELECT count(*) INTO private_count FROM personalities WHERE visibility = 'private';
    IF private_count > 0 THEN
        RAISE EXCEPTION '% private character(s) exist; delete them or make them public before rolling back 0010',
            private_count;
    END IF;
END $$;

DROP INDEX personalities_owner_idx;
ALTER TABLE personalities
    DROP CONSTRAINT personalities_private_has_owner,
    DROP COLUMN visibility,
    DROP COLUMN owner_id;
