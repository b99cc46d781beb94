-- Holes of the adversarial review (issues 19 and 21): odd default
-- partitions, referencing foreign keys, publications, unplaceable rows,
-- names taken by types, inputs that break shared views, owner code whose
-- settings must not outlive maintenance, messages hidden from PUBLIC.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cognomega;
RESET client_min_messages;
CREATE SCHEMA pm_rev;
SET search_path = pm_rev;
SET TimeZone = 'UTC';
\set VERBOSITY sqlstate

-- 1. a partitioned or foreign default: refused at registration (0A000) ...
CREATE TABLE pd (id int, t timestamptz NOT NULL) PARTITION BY RANGE (t);
CREATE TABLE pd_def PARTITION OF pd DEFAULT PARTITION BY LIST (id);
CREATE TABLE pd_def_1 PARTITION OF pd_def FOR VALUES IN (1);
INSERT INTO pd VALUES (1, '2001-01-01');
SELECT cognomega.create_parent('pd', 't', '1 month', 2);
-- ... and skipped by maintenance (no crash), which still premakes
ALTER TABLE pd DETACH PARTITION pd_def;
SELECT cognomega.create_parent('pd', 't', '1 month', 2) > 0 AS created;
ALTER TABLE pd DETACH PARTITION pd_default;
ALTER TABLE pd ATTACH PARTITION pd_def DEFAULT;
SELECT partition FROM cognomega.show_partitions('pd') ORDER BY range_start DESC LIMIT 1 \gset newest_
DROP TABLE :newest_partition;
\set VERBOSITY terse
SELECT action FROM cognomega.run_maintenance('pd');
\set VERBOSITY sqlstate
SELECT count(*) AS still_in_default FROM pd_def;
SELECT cognomega.partition_data('pd');
SELECT rows_in_default, needs_attention LIKE '%default partition%' AS noted FROM cognomega.partition_status
WHERE parent = 'pd'::regclass;

-- 2. rows of a parent that foreign keys reference stay in the default:
--    moving them would fire ON DELETE actions on the referencing table
CREATE TABLE orders (id int, t timestamptz NOT NULL, PRIMARY KEY (id, t)) PARTITION BY RANGE (t);
SELECT cognomega.create_parent('orders', 't', '1 month', 2) > 0 AS created;
CREATE TABLE items (id int, order_id int, order_t timestamptz,
	FOREIGN KEY (order_id, order_t) REFERENCES orders ON DELETE CASCADE);
INSERT INTO orders VALUES (1, '2001-01-05'), (2, '2001-02-05'), (3, '2001-03-05');
INSERT INTO items SELECT id, id, t FROM orders;
\set VERBOSITY terse
SELECT action FROM cognomega.run_maintenance('orders');
\set VERBOSITY sqlstate
SELECT count(*) AS items FROM items;
SELECT count(*) AS orders_in_default FROM ONLY orders_default;
SELECT last_error LIKE '%referenced by foreign key%' AS last_error_says_why
FROM cognomega.part_config WHERE parent = 'orders'::regclass;
SELECT cognomega.partition_data('orders');
SELECT count(*) AS items FROM items;

-- 3. rows of a published parent stay too (a move is not replicated whole)
CREATE TABLE pub (id int, t timestamptz NOT NULL) PARTITION BY RANGE (t);
SELECT cognomega.create_parent('pub', 't', '1 month', 2) > 0 AS created;
SET client_min_messages = error;
CREATE PUBLICATION pm_rev_pub FOR TABLE pub WITH (publish_via_partition_root = true);
RESET client_min_messages;
INSERT INTO pub VALUES (1, '2001-01-05');
\set VERBOSITY terse
SELECT action FROM cognomega.run_maintenance('pub');
\set VERBOSITY sqlstate
SELECT count(*) AS pub_in_default FROM ONLY pub_default;
SELECT last_error LIKE '%publication%' AS last_error_says_why
FROM cognomega.part_config WHERE parent = 'pub'::regclass;
DROP PUBLICATION pm_rev_pub;

-- 4. unplaceable rows do not stop premaking or the other rows' rescue
CREATE TABLE edge (id int, t timestamptz) PARTITION BY RANGE (t);
SELECT cognomega.create_parent('edge', 't', '1 month', 2) > 0 AS created;
CREATE TABLE dedge (id int, d date) PARTITION BY RANGE (d);
SELECT cognomega.create_parent('dedge', 'd', '1 day', 2) > 0 AS created;
INSERT INTO edge VALUES (1, '294276-12-31 23:00+00'), (2, '4714-11-24 00:00+00 BC'),
	(3, NULL), (4, 'infinity'), (5, '-infinity'), (6, '2001-06-05');
INSERT INTO dedge VALUES (1, '5874897-12-31'), (2, '2001-06-05'), (3, '4714-11-24 BC');
SELECT partition FROM cognomega.show_partitions('edge') ORDER BY range_start DESC LIMIT 1 \gset newest_
DROP TABLE :newest_partition;
SELECT partition FROM cognomega.show_partitions('dedge') ORDER BY range_start DESC LIMIT 1 \gset newest_
DROP TABLE :newest_partition;
SELECT action, CASE WHEN partition::text ~ '_p20(0|1)' THEN partition::text ELSE '(ahead of now)' END AS part
  FROM cognomega.run_maintenance('edge') ORDER BY 1, 2;
SELECT action, CASE WHEN partition::text ~ '_p20(0|1)' THEN partition::text ELSE '(ahead of now)' END AS part
  FROM cognomega.run_maintenance('dedge') ORDER BY 1, 2;
SELECT id FROM ONLY edge_default ORDER BY id;
SELECT id FROM ONLY dedge_default ORDER BY id;
SELECT premade_ahead FROM cognomega.partition_status WHERE parent IN ('edge'::regclass, 'dedge'::regclass);
-- a NOT VALID check the moved rows violate: those rows stay, premaking goes on
CREATE TABLE nv (id int, t timestamptz NOT NULL) PARTITION BY RANGE (t);
SELECT cognomega.create_parent('nv', 't', '1 month', 2) > 0 AS created;
INSERT INTO nv VALUES (-1, '2001-01-05'), (1, '2002-01-05');
ALTER TABLE nv ADD CONSTRAINT nv_pos CHECK (id > 0) NOT VALID;
SELECT partition FROM cognomega.show_partitions('nv') ORDER BY range_start DESC LIMIT 1 \gset newest_
DROP TABLE :newest_partition;
\set VERBOSITY terse
SELECT action, CASE WHEN partition::text ~ '_p20(0|1)' THEN partition::text ELSE '(ahead of now)' END AS part
  FROM cognomega.run_maintenance('nv') ORDER BY 1, 2;
\set VERBOSITY sqlstate
SELECT id FROM ONLY nv_default;
SELECT premade_ahead FROM cognomega.partition_status WHERE parent = 'nv'::regclass;

-- 7. a no-op run with only unplaceable rows takes no ACCESS EXCLUSIVE lock
BEGIN;
SELECT count(*) FROM cognomega.run_maintenance('edge');
SELECT count(*) AS exclusive_locks FROM pg_locks
WHERE locktype = 'relation' AND mode = 'AccessExclusiveLock' AND pid = pg_backend_pid()
  AND relation IN ('edge'::regclass, 'edge_default'::regclass);
COMMIT;

-- 5. retention far beyond the timestamp range is refused at registration;
--    a parent whose bounds are far away does not break partition_status
CREATE TABLE farret (id int, t timestamptz NOT NULL) PARTITION BY RANGE (t);
SELECT cognomega.create_parent('farret', 't', '1 month', 2, NULL, '300000 years');
CREATE TABLE far (id int, d date NOT NULL) PARTITION BY RANGE (d);
SELECT cognomega.create_parent('far', 'd', '1 month', 2) > 0 AS created;
CREATE TABLE far_x PARTITION OF far FOR VALUES FROM ('300000-01-01') TO ('300000-02-01');
SELECT count(*) > 0 AS status_readable FROM cognomega.partition_status;
SELECT newest_end FROM cognomega.partition_status WHERE parent = 'far'::regclass;

-- 6. a type named like the next partition: the name gets a suffix
CREATE TABLE ty (id int, t timestamptz NOT NULL) PARTITION BY RANGE (t);
SELECT to_char(date_trunc('month', now()), '"ty_p"YYYYMMDD') AS tyname \gset
CREATE TYPE :tyname AS ENUM ('a');
SELECT cognomega.create_parent('ty', 't', '1 month', 1) > 0 AS created;
SELECT count(*) AS suffixed FROM cognomega.show_partitions('ty') WHERE partition::text = :'tyname' || '_2';

-- 8. a zone abbreviation depends on timezone_abbreviations: refused
CREATE TABLE abbr (t timestamptz NOT NULL) PARTITION BY RANGE (t);
SELECT cognomega.create_parent_in_zone('abbr', 't', '1 day', 'IST', 2);
SELECT cognomega.create_parent_in_zone('abbr', 't', '1 day', 'Asia/Kolkata', 2) > 0 AS created;

-- 8. an interval finer than a timestamp(0) key: refused
CREATE TABLE ts0 (t timestamp(0) NOT NULL) PARTITION BY RANGE (t);
SELECT cognomega.create_parent('ts0', 't', '1.5 seconds', 2);
SELECT cognomega.create_parent('ts0', 't', '2 seconds', 2) > 0 AS created;
-- 8. a day whose local midnight does not exist (Santiago, DST at 00:00):
--    named by its day like the others
CREATE TABLE sant (t timestamptz NOT NULL) PARTITION BY RANGE (t);
SELECT cognomega.create_parent_in_zone('sant', 't', '1 day', 'America/Santiago', 2, '2030-09-07 12:00-04') > 0 AS created;
SELECT partition, range_start, range_end FROM cognomega.show_partitions('sant') WHERE range_start < '2030-09-10';

-- 21.1: settings owner code changes do not outlive maintenance
CREATE ROLE pm_rev_owner LOGIN;
CREATE ROLE pm_rev_other LOGIN;
GRANT USAGE, CREATE ON SCHEMA pm_rev TO pm_rev_owner;
GRANT USAGE ON SCHEMA pm_rev TO pm_rev_other;
SET ROLE pm_rev_owner;
CREATE TABLE g (id int, t timestamptz NOT NULL, note text) PARTITION BY RANGE (t);
SELECT cognomega.create_parent('g', 't', '1 month', 2) > 0 AS created;
CREATE FUNCTION g_trig() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_catalog.set_config('search_path', 'owner_was_here, pg_catalog', false);
	PERFORM pg_catalog.set_config('work_mem', '1234kB', false);
	RETURN COALESCE(NEW, OLD);
END $$;
CREATE TRIGGER g_del BEFORE DELETE ON g FOR EACH ROW EXECUTE FUNCTION g_trig();
CREATE TRIGGER g_ins BEFORE INSERT ON g FOR EACH ROW EXECUTE FUNCTION g_trig();
RESET ROLE;
SET search_path = pm_rev;
INSERT INTO g VALUES (1, '2001-01-05', 'secret 4111');
SET search_path = pm_rev;
SET work_mem = '4MB';
SELECT action FROM cognomega.run_maintenance('pm_rev.g');
SELECT current_setting('search_path') AS search_path, current_setting('work_mem') AS work_mem;
INSERT INTO g VALUES (2, '2001-05-05');
SET search_path = pm_rev;
SET work_mem = '4MB';
SELECT cognomega.partition_data('pm_rev.g');
SELECT current_setting('search_path') AS search_path, current_setting('work_mem') AS work_mem;
INSERT INTO g VALUES (3, '2001-09-05');
SET search_path = pm_rev;
SET work_mem = '4MB';
SELECT cognomega.run_job('partition_maintenance') LIKE 'partition_maintenance:%' AS ran;
SELECT current_setting('search_path') AS search_path, current_setting('work_mem') AS work_mem;
INSERT INTO g VALUES (4, '2002-02-05');
SET search_path = pm_rev;
SET work_mem = '4MB';
CALL cognomega.run_maintenance_proc();
SELECT current_setting('search_path') AS search_path, current_setting('work_mem') AS work_mem;
-- create_parent rescuing the rows of an existing default partition
SET ROLE pm_rev_owner;
CREATE TABLE g2 (id int, t timestamptz NOT NULL) PARTITION BY RANGE (t);
CREATE TABLE g2_def PARTITION OF g2 DEFAULT;
CREATE TRIGGER g2_del BEFORE DELETE ON g2 FOR EACH ROW EXECUTE FUNCTION g_trig();
INSERT INTO g2 VALUES (1, now());
RESET ROLE;
SET search_path = pm_rev;
SET work_mem = '4MB';
SELECT cognomega.create_parent('pm_rev.g2', 't', '1 month', 1) > 0 AS created;
SELECT current_setting('search_path') AS search_path, current_setting('work_mem') AS work_mem;
SELECT count(*) AS left_in_default FROM ONLY g2_def;

-- 21.5: maintenance messages are the owner's and pg_monitor's, not PUBLIC's
UPDATE cognomega.part_config SET last_error = 'trigger said: card 4111' WHERE parent = 'g'::regclass;
SET ROLE pm_rev_other;
SELECT last_error FROM cognomega.part_config WHERE parent = 'pm_rev.g'::regclass;
SELECT needs_attention FROM cognomega.partition_status WHERE parent = 'pm_rev.g'::regclass;
SELECT count(*) > 0 AS config_readable FROM cognomega.part_config;
RESET ROLE;
SET ROLE pm_rev_owner;
SELECT needs_attention FROM cognomega.partition_status WHERE parent = 'pm_rev.g'::regclass;
RESET ROLE;
GRANT pg_monitor TO pm_rev_other;
SET ROLE pm_rev_other;
SELECT last_error FROM cognomega.part_config WHERE parent = 'pm_rev.g'::regclass;
RESET ROLE;

SET client_min_messages = warning;
DROP SCHEMA pm_rev CASCADE;
RESET client_min_messages;
DROP OWNED BY pm_rev_owner, pm_rev_other;
DROP ROLE pm_rev_owner, pm_rev_other;
