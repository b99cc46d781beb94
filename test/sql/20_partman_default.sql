-- Rows in the default partition are rescued into proper partitions (which
-- are created), never lost or duplicated; retention drops or detaches.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cognomega;
RESET client_min_messages;
CREATE SCHEMA pm_def;
SET search_path = pm_def;
SET TimeZone = 'UTC';

CREATE TABLE m (id int NOT NULL, created_at timestamptz NOT NULL,
				note text DEFAULT 'n', doubled int GENERATED ALWAYS AS (id * 2) STORED)
	PARTITION BY RANGE (created_at);
-- drop a column so the parent's attribute numbers have a hole
ALTER TABLE m ADD COLUMN gone int;
ALTER TABLE m DROP COLUMN gone;
CREATE INDEX ON m (created_at);
ALTER TABLE m ADD PRIMARY KEY (id, created_at);
SELECT cognomega.create_parent('m', 'created_at', '1 month', 2) AS created;

-- rows far from now land in the default partition
INSERT INTO m (id, created_at, note)
SELECT g, timestamptz '2001-01-01' + g * interval '1 day', 'row ' || g FROM generate_series(1, 95) g;
INSERT INTO m (id, created_at) VALUES (1000, '2200-07-04 10:00+00');
SELECT count(*) AS in_default FROM ONLY m_default;
SELECT sum(id) AS id_sum, count(*) AS n FROM m;

-- maintenance creates partitions for them and moves them
SELECT action, partition FROM cognomega.run_maintenance('m');
SELECT count(*) AS in_default FROM ONLY m_default;
SELECT sum(id) AS id_sum, count(*) AS n, sum(doubled) AS doubled_sum FROM m;
SELECT tableoid::regclass AS part, count(*), min(created_at), max(created_at)
FROM m WHERE created_at < '2100-01-01' OR created_at > '2199-01-01' GROUP BY 1 ORDER BY 1;
-- the moved rows kept every column; the new partitions got the index
SELECT id, created_at, note, doubled FROM m WHERE id IN (1, 95, 1000) ORDER BY id;
SELECT count(*) AS attached_indexes FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE c.relname LIKE 'm_p2001%' AND c.relkind = 'i';
SELECT * FROM cognomega.run_maintenance('m');

-- partition_data does the same on demand, in batches of batch_rows
INSERT INTO m (id, created_at) SELECT 2000 + g, timestamptz '2010-05-01' + g * interval '1 hour' FROM generate_series(1, 50) g;
INSERT INTO m (id, created_at) VALUES (3000, '2010-05-02 00:00+00');
SELECT cognomega.partition_data('m', 7) AS moved;
SELECT count(*) AS in_default FROM ONLY m_default;
SELECT tableoid::regclass AS part, count(*) FROM m WHERE id >= 2000 GROUP BY 1;
SELECT cognomega.partition_data('m') AS moved_again;

-- rows that no range partition can take stay in the default partition
CREATE TABLE n (created_at timestamptz) PARTITION BY RANGE (created_at);
SELECT cognomega.create_parent('n', 'created_at', '1 year', 1) AS created;
INSERT INTO n VALUES (NULL), ('infinity'), ('-infinity'), ('2003-03-03+00');
SELECT action, partition FROM cognomega.run_maintenance('n');
SELECT created_at FROM ONLY n_default ORDER BY created_at;
SELECT rows_in_default, needs_attention FROM cognomega.partition_status WHERE parent = 'n'::regclass;

-- a date key
CREATE TABLE dd (d date NOT NULL) PARTITION BY RANGE (d);
SELECT cognomega.create_parent('dd', 'd', '7 days', 1) AS created;
INSERT INTO dd VALUES ('2004-02-29'), ('2004-03-01'), ('2004-03-02');
SELECT action, partition FROM cognomega.run_maintenance('dd');
SELECT * FROM cognomega.show_partitions('dd') WHERE range_start < '2005-01-01';

-- retention: partitions that end before now - retention are dropped ...
CREATE TABLE r (created_at timestamptz NOT NULL, v int) PARTITION BY RANGE (created_at);
SELECT cognomega.create_parent('r', 'created_at', '1 month', 1, now() - interval '6 months',
							   retention => '3 months') AS created;
INSERT INTO r SELECT range_start + interval '1 day', 1 FROM cognomega.show_partitions('r');
SELECT count(*) AS rows_before FROM r;
SELECT needs_attention FROM cognomega.partition_status WHERE parent = 'r'::regclass;
SELECT action, count(*) FROM cognomega.run_maintenance('r') GROUP BY action;
SELECT count(*) AS partitions_left, count(*) FILTER (WHERE range_end <= now() - interval '3 months') AS expired_left
FROM cognomega.show_partitions('r');
SELECT count(*) AS rows_after FROM r;
SELECT count(*) AS standalone_leftovers FROM pg_class WHERE relname LIKE 'r\_p%' AND NOT relispartition AND relkind = 'r';

-- retention on date and timestamp keys
CREATE TABLE rd (d date NOT NULL) PARTITION BY RANGE (d);
SELECT cognomega.create_parent('rd', 'd', '1 day', 1, now() - interval '20 days', retention => '10 days') AS created;
SELECT action, count(*) FROM cognomega.run_maintenance('rd') GROUP BY action;
SELECT min(range_start) = (now() AT TIME ZONE 'UTC')::date - 10 AS oldest_kept_is_ten_days_back FROM cognomega.show_partitions('rd');
CREATE TABLE rt (ts timestamp NOT NULL) PARTITION BY RANGE (ts);
SELECT cognomega.create_parent('rt', 'ts', '1 day', 1, now() - interval '10 days', retention => '5 days') AS created;
SELECT action, count(*) FROM cognomega.run_maintenance('rt') GROUP BY action;

-- ... or detached and kept with retention_keep_table
CREATE TABLE k (created_at timestamptz NOT NULL, v int) PARTITION BY RANGE (created_at);
SELECT cognomega.create_parent('k', 'created_at', '1 month', 1, now() - interval '6 months',
							   retention => '3 months', retention_keep_table => true) AS created;
INSERT INTO k SELECT range_start + interval '1 day', 1 FROM cognomega.show_partitions('k');
SELECT action, count(*) FROM cognomega.run_maintenance('k') GROUP BY action;
SELECT count(*) AS detached_tables, sum((SELECT count(*) FROM pg_inherits WHERE inhrelid = c.oid)) AS still_attached
FROM pg_class c WHERE c.relname LIKE 'k\_p%' AND c.relkind = 'r' AND NOT c.relispartition;
SELECT count(*) AS rows_through_parent FROM k;
DO $$
DECLARE t record; total bigint := 0; n bigint;
BEGIN
	FOR t IN SELECT oid::regclass AS r FROM pg_class WHERE relname LIKE 'k\_p%' AND relkind = 'r' AND NOT relispartition LOOP
		EXECUTE format('SELECT count(*) FROM %s', t.r) INTO n;
		total := total + n;
	END LOOP;
	RAISE NOTICE 'rows kept in detached tables: %', total;
END $$;
SELECT * FROM cognomega.run_maintenance('k');

-- rows for a range past retention are not rescued (that would drop them)
INSERT INTO k VALUES (now() - interval '5 years', 7);
SELECT * FROM cognomega.run_maintenance('k');
SELECT count(*) AS kept_in_default FROM ONLY k_default;

SELECT cognomega.undo_parent(p) FROM unnest(ARRAY['m', 'n', 'dd', 'r', 'rd', 'rt', 'k']::regclass[]) p;
RESET search_path;
RESET TimeZone;
SET client_min_messages = warning;
DROP SCHEMA pm_def CASCADE;
RESET client_min_messages;
