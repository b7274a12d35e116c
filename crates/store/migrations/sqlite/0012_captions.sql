-- A photo's caption (SQLite twin of postgres/0012_captions.sql): one short line its guest or a
-- member wrote, checked by `domain::Caption` (at most 140 characters, no control or invisible
-- format characters); NULL when there is none. Not indexed: nothing sorts or filters by it.
ALTER TABLE photos ADD COLUMN caption TEXT;
