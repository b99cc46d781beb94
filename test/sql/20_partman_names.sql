-- Partition names: derived from the parent, quoted everywhere, clipped to
-- 63 bytes on a character boundary, unique.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cognomega;
RESET client_min_messages;
CREATE SCHEMA "pm names; drop";
SET search_path = "pm names; drop";
SET TimeZone = 'UTC';

-- quotes, spaces, upper case, semicolons
CREATE TABLE "Odd ""Table""; x" ("Created At" timestamptz NOT NULL) PARTITION BY RANGE ("Created At");
SELECT cognomega.create_parent('"Odd ""Table""; x"', 'Created At', '1 day', 1, '2100-01-01');
SELECT * FROM cognomega.show_partitions('"Odd ""Table""; x"');
INSERT INTO "Odd ""Table""; x" VALUES ('1999-06-01');
SELECT action, partition FROM cognomega.run_maintenance('"Odd ""Table""; x"') WHERE partition LIKE '%1999%';
SELECT tableoid::regclass FROM "Odd ""Table""; x";

-- a 63-byte name: the base is clipped so base + suffix fits
CREATE TABLE aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa (ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
SELECT cognomega.create_parent('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'ts', '1 hour', 1, '2100-01-01');
SELECT partition, octet_length(partition::text) FROM cognomega.show_partitions('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa');

-- multibyte: clipped on a character boundary (each é is two bytes)
CREATE TABLE "éééééééééééééééééééééééééééééé" (ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
SELECT cognomega.create_parent('"éééééééééééééééééééééééééééééé"', 'ts', '1 month', 1, '2100-01-01');
SELECT partition, octet_length(partition::text), partition::text = convert_from(convert_to(partition::text, 'UTF8'), 'UTF8') AS valid
FROM cognomega.show_partitions('"éééééééééééééééééééééééééééééé"');

-- two long parents sharing a long prefix get distinct names
CREATE TABLE bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb_one (ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
CREATE TABLE bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb_two (ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
SELECT cognomega.create_parent('bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb_one', 'ts', '1 month', 1, '2100-01-01');
SELECT cognomega.create_parent('bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb_two', 'ts', '1 month', 1, '2100-01-01');
SELECT c.relname, p.relname AS parent FROM pg_inherits i
JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
WHERE p.relname LIKE 'bbbb%' ORDER BY 2, 1;

-- a name already taken by an unrelated table gets a counter
CREATE TABLE taken (ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
CREATE TABLE taken_p21000101 (x int);
SELECT cognomega.create_parent('taken', 'ts', '1 month', 1, '2100-01-01');
SELECT partition FROM cognomega.show_partitions('taken');

-- the partitions live in the parent's schema, whatever the search_path
CREATE SCHEMA pm_elsewhere;
CREATE TABLE pm_elsewhere.t (ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
SELECT cognomega.create_parent('pm_elsewhere.t', 'ts', '1 month', 1, '2100-01-01');
SELECT partition FROM cognomega.show_partitions('pm_elsewhere.t');
-- a search_path holding a schema with tables named like the catalogs changes nothing
CREATE TABLE pg_class_shadow (x int);
SET search_path = "pm names; drop", pm_elsewhere;
SELECT count(*) FROM cognomega.run_maintenance('pm_elsewhere.t') WHERE partition LIKE '%2100%';

SELECT cognomega.undo_parent(parent) FROM cognomega.part_config
WHERE parent::text LIKE '%Odd%' OR parent::text LIKE '%aaaa%' OR parent::text LIKE '%éé%' OR parent::text LIKE '%bbbb%'
   OR parent = 'taken'::regclass OR parent = 'pm_elsewhere.t'::regclass;
RESET search_path;
RESET TimeZone;
SET client_min_messages = warning;
DROP SCHEMA "pm names; drop" CASCADE;
DROP SCHEMA pm_elsewhere CASCADE;
RESET client_min_messages;
