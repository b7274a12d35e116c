-- A photo's caption (PostgreSQL twin of sqlite/0012_captions.sql): one short line its guest or
-- a member wrote, checked by `domain::Caption` (at most 140 characters, no control or
-- invisible format characters); NULL when there is none. Not indexed: nothing sorts or
-- filters by it. The photos table's row-level security covers the new column.
ALTER TABLE photos ADD COLUMN caption text;
