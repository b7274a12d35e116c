-- When a photo was first shown on one of its event's walls (reported by the wall's page), so
-- its guest is told once and My photos can say so (PostgreSQL twin of sqlite/0017_on_wall.sql).
ALTER TABLE photos ADD COLUMN on_wall_at timestamptz;
