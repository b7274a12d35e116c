-- An event's cover photo, chosen from its gallery (PostgreSQL twin of sqlite/0010_cover.sql).
ALTER TABLE events ADD COLUMN cover_photo_id uuid;
