-- Zone names that are also abbreviations (issue 19 review: failed on
-- c24e8a8).  Where the server's time zone database has no zone EST or CET
-- (Debian 13 moved them to tzdata-legacy) they are abbreviations only and
-- refused (22023): 20_partman_zone_legacy_1.out.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cognomega;
RESET client_min_messages;
CREATE SCHEMA pm_zleg;
SET search_path = pm_zleg;
SET TimeZone = 'UTC';
\set VERBOSITY sqlstate

-- 1. 'EST' (also 'MST', 'HST', 'CET', 'EET', 'MET', 'WET') is both a zone
-- and an abbreviation; AT TIME ZONE reads the abbreviation first, so its
-- meaning would depend on the session's timezone_abbreviations
-- ('Australia': EST = +10, 'Default': EST = -05).  The parent's zone is
-- always read as the zone: the bounds do not depend on who computes them.
CREATE TABLE est (ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
SET timezone_abbreviations = 'Australia';
SELECT cognomega.create_parent_in_zone('est', 'ts', '1 day', 'EST', 1, '2030-01-10 12:00+00') > 0 AS created;
RESET timezone_abbreviations;
SELECT range_start, range_end FROM cognomega.show_partitions('est') ORDER BY 1 LIMIT 2;
UPDATE cognomega.part_config SET premake = 3 WHERE parent = 'est'::regclass;
SELECT count(*) > 0 AS acted FROM cognomega.run_maintenance('est');
SELECT count(DISTINCT range_start::time) AS start_hours FROM cognomega.show_partitions('est');
-- 'CET' is the zone with summer time (the abbreviation CET is a fixed +01)
CREATE TABLE cet (ts timestamp NOT NULL) PARTITION BY RANGE (ts);
SELECT cognomega.create_parent_in_zone('cet', 'ts', '1 day', 'CET', 1, '2027-07-01 12:00+00') > 0 AS created;
SELECT min(range_start) AS summer_midnight FROM cognomega.show_partitions('cet');

\set VERBOSITY default
RESET search_path;
SET client_min_messages = warning;
SELECT count(cognomega.undo_parent(c.parent)) >= 0 AS undone FROM cognomega.part_config c
 WHERE c.parent::text LIKE 'pm_zleg.%';
DROP SCHEMA pm_zleg CASCADE;
