"""PostgreSQL access: connections (embedded server when DATABASE_URL is unset) and migrations."""
