ALTER TABLE personalities DROP COLUMN avatar_url;
