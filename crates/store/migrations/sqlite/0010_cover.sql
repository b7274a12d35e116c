-- An event's cover photo, chosen from its gallery (SQLite twin of postgres/0010_cover.sql).
ALTER TABLE events ADD COLUMN cover_photo_id BLOB;
