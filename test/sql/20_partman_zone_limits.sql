-- Time zones that are also abbreviations, retention limits, premade_ahead
-- (issue 19 review: each failed on c24e8a8).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cognomega;
RESET client_min_messages;
CREATE SCHEMA pm_zl;
SET search_path = pm_zl;
SET TimeZone = 'UTC';
\set VERBOSITY sqlstate

-- 1. 'EST' (also 'MST', 'HST', 'CET', 'EET', 'MET', 'WET') is both a zone
-- and an abbreviation; AT TIME ZONE reads the abbreviation first, so its
-- meaning would depend on the session's timezone_abbreviations
-- ('Australia': EST = +10, 'Default': EST = -05).  The parent's zone is
-- always read as the zone: the bounds do not depend on who computes them.
CREATE TABLE est (ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
SET timezone_abbreviations = 'Australia';
SELECT cognomega.create_parent_in_zone('est', 'ts', '1 day', 'EST', 1, '2030-01-10 12:00+00');
RESET timezone_abbreviations;
SELECT range_start, range_end FROM cognomega.show_partitions('est') ORDER BY 1 LIMIT 2;
UPDATE cognomega.part_config SET premake = 3 WHERE parent = 'est'::regclass;
SELECT count(*) > 0 AS acted FROM cognomega.run_maintenance('est');
SELECT count(DISTINCT range_start::time) AS start_hours FROM cognomega.show_partitions('est');
-- 'CET' is the zone with summer time (the abbreviation CET is a fixed +01)
CREATE TABLE cet (ts timestamp NOT NULL) PARTITION BY RANGE (ts);
SELECT cognomega.create_parent_in_zone('cet', 'ts', '1 day', 'CET', 1, '2027-07-01 12:00+00') > 0 AS created;
SELECT min(range_start) AS summer_midnight FROM cognomega.show_partitions('cet');
-- an abbreviation only ('IST') is refused
CREATE TABLE ist (ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
SELECT cognomega.create_parent_in_zone('ist', 'ts', '1 day', 'IST', 1);

-- 2. a retention reaching before 4714 BC would make every run of the
-- parent fail (22008): refused at registration (22023) ...
CREATE TABLE ret (ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
SELECT cognomega.create_parent('ret', 'ts', '1 day', 1, retention => '7000 years');
SELECT cognomega.create_parent('ret', 'ts', '1 day', 1, retention => '5001 years');
SELECT cognomega.create_parent('ret', 'ts', '1 day', 1, retention => '5000 years') > 0 AS ok;
-- ... and a longer one written into part_config by hand means "nothing is that old"
UPDATE cognomega.part_config SET premake = 3, retention = '7000 years' WHERE parent = 'ret'::regclass;
SELECT count(*) > 0 AS acted FROM cognomega.run_maintenance('ret');
SELECT last_error, needs_attention
  FROM cognomega.part_config JOIN cognomega.partition_status USING (parent)
 WHERE parent = 'ret'::regclass;
CREATE TABLE retd (d date NOT NULL) PARTITION BY RANGE (d);
SELECT cognomega.create_parent('retd', 'd', '1 month', 1, retention => '4999 years') > 0 AS ok;
SELECT count(*) >= 0 AS ran FROM cognomega.run_maintenance('retd');
SELECT last_error FROM cognomega.part_config WHERE parent = 'retd'::regclass;

-- 3. partitions made far ahead for stray rows (any INSERT-only role can
-- write them) do not count as premade: with the next slots missing,
-- partition_status says "missing future partitions" (and the stats job's
-- MISSING_FUTURE_PARTITIONS uses the same count).
CREATE TABLE far (ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
SELECT cognomega.create_parent('far', 'ts', '1 day', 3) > 0 AS created;
INSERT INTO far VALUES ('2099-01-01'), ('2099-01-02'), ('2099-01-03');
SELECT count(*) AS actions FROM cognomega.run_maintenance('far');
SELECT premade_ahead, needs_attention FROM cognomega.partition_status WHERE parent = 'far'::regclass;
DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT partition FROM cognomega.show_partitions('far')
            WHERE range_start > now() AND range_start < '2090-01-01' LOOP
    EXECUTE 'DROP TABLE ' || r.partition;
  END LOOP; END $$;
SELECT premade_ahead, needs_attention FROM cognomega.partition_status WHERE parent = 'far'::regclass;

\set VERBOSITY default
RESET search_path;
SET client_min_messages = warning;
SELECT bool_and(cognomega.undo_parent(c.parent)) AS undone FROM cognomega.part_config c
 WHERE c.parent::text LIKE 'pm_zl.%';
DROP SCHEMA pm_zl CASCADE;
