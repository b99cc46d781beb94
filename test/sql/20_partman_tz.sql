-- Bounds of timestamptz partitions do not depend on the session's TimeZone:
-- they are computed in part_config.time_zone (UTC unless given), and daily
-- and monthly slots stay at local midnight across DST changes.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cognomega;
RESET client_min_messages;
CREATE SCHEMA pm_tz;
SET search_path = pm_tz;

CREATE TABLE a (ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
CREATE TABLE b (ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
SET TimeZone = 'Pacific/Kiritimati';	-- UTC+14
SELECT cognomega.create_parent('a', 'ts', '1 day', 2, '2100-03-01 00:00+00');
SET TimeZone = 'America/Adak';			-- UTC-10/-9
SELECT cognomega.create_parent('b', 'ts', '1 day', 2, '2100-03-01 00:00+00');
SET TimeZone = 'UTC';
-- identical bounds, at UTC midnight, whatever the callers' zones
SELECT a.partition, a.range_start, a.range_end, b.partition, a.range_start = b.range_start AND a.range_end = b.range_end AS same
FROM cognomega.show_partitions('a') a JOIN cognomega.show_partitions('b') b USING (range_start);
-- the DDL spelled the bounds in UTC
SELECT pg_get_expr(c.relpartbound, c.oid) FROM pg_class c WHERE c.relname = 'a_p21000301';

-- maintenance from another zone finds nothing to change
SET TimeZone = 'Asia/Kathmandu';		-- UTC+5:45
SELECT count(*) AS changes FROM cognomega.run_maintenance('a') WHERE partition LIKE '%2100%';
SET TimeZone = 'UTC';

-- a per-parent zone: daily and monthly slots at local midnight across DST
-- (Europe/Paris springs forward on 2100-03-28 and falls back on 2100-10-31)
CREATE TABLE paris_d (ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
SELECT cognomega.create_parent_in_zone('paris_d', 'ts', '1 day', 'Europe/Paris', 3, '2100-03-27 12:00+00');
SELECT partition, range_start, range_end, range_end - range_start AS length
FROM cognomega.show_partitions('paris_d');
CREATE TABLE paris_m (ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
SELECT cognomega.create_parent_in_zone('paris_m', 'ts', '1 month', 'Europe/Paris', 2, '2100-09-15');
SELECT partition, range_start, range_end FROM cognomega.show_partitions('paris_m');
SELECT time_zone FROM cognomega.part_config WHERE parent = 'paris_m'::regclass;
-- the same, created from a session in another zone, gives the same bounds
SET TimeZone = 'Australia/Lord_Howe';
CREATE TABLE paris_m2 (ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
SELECT cognomega.create_parent_in_zone('paris_m2', 'ts', '1 month', 'Europe/Paris', 2, '2100-09-15');
SELECT count(*) AS same_bounds FROM cognomega.show_partitions('paris_m') x
JOIN cognomega.show_partitions('paris_m2') y USING (range_start, range_end);
SET TimeZone = 'UTC';

-- a row at 23:30 local time on a DST day goes to that local day's partition
INSERT INTO paris_d VALUES ('2100-03-28 23:30 Europe/Paris');
SELECT tableoid::regclass FROM paris_d;

-- hourly partitions over the DST change are one real hour each (the local
-- hour 02:00 that does not exist on that day has no partition)
CREATE TABLE paris_h (ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
SELECT cognomega.create_parent_in_zone('paris_h', 'ts', '1 hour', 'Europe/Paris', 2, '2100-03-28 00:30+00');
SELECT partition, range_start, range_end FROM cognomega.show_partitions('paris_h');

-- on the fall-back night the local hour 02:00 happens twice: rows of both
-- land in partitions that contain them
INSERT INTO paris_h VALUES ('2100-10-31 00:30+00'), ('2100-10-31 01:30+00');
SELECT cognomega.partition_data('paris_h') AS moved;
SELECT h.tableoid::regclass, h.ts, p.range_start, p.range_end
FROM paris_h h JOIN cognomega.show_partitions('paris_h') p ON p.partition = h.tableoid
WHERE h.ts > '2100-10-01' ORDER BY h.ts;

-- timestamp (without time zone) keys ignore every zone
CREATE TABLE naive (ts timestamp NOT NULL) PARTITION BY RANGE (ts);
SET TimeZone = 'Asia/Tokyo';
SELECT cognomega.create_parent('naive', 'ts', '1 month', 1, '2100-01-01 00:00+09');
SELECT pg_get_expr(c.relpartbound, c.oid) FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid
WHERE i.inhparent = 'naive'::regclass ORDER BY 1;
SET TimeZone = 'UTC';

SELECT cognomega.undo_parent(p) FROM unnest(ARRAY['a', 'b', 'paris_d', 'paris_m', 'paris_m2', 'paris_h', 'naive']::regclass[]) p;
RESET search_path;
RESET TimeZone;
SET client_min_messages = warning;
DROP SCHEMA pm_tz CASCADE;
RESET client_min_messages;
