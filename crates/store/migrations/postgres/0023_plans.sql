-- The plan an organization is on, by name (the limits of each plan are configuration).
-- NULL: the configured default plan. PostgreSQL twin of migrations/sqlite/0023_plans.sql.
ALTER TABLE tenants ADD COLUMN plan text;
