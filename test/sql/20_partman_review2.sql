-- Second adversarial review of partition maintenance and the jobs (issues
-- 19 and 21): a cancel inside run_job stops it as a statement.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cognomega;
RESET client_min_messages;
CREATE SCHEMA pm_rev2;
SET search_path = pm_rev2;
SET TimeZone = 'UTC';
\set VERBOSITY sqlstate

-- 1. statement_timeout during run_job('partition_maintenance'): an owner's
--    trigger sleeps while a row is moved out of the default.  The whole
--    statement is cancelled (57014), as run_maintenance is; it is not
--    recorded as one parent's failure while the loop goes on.
CREATE TABLE slow1 (id int, t timestamptz NOT NULL) PARTITION BY RANGE (t);
CREATE TABLE slow2 (id int, t timestamptz NOT NULL) PARTITION BY RANGE (t);
SELECT cognomega.create_parent('slow1', 't', '1 month', 2) > 0 AS created;
SELECT cognomega.create_parent('slow2', 't', '1 month', 2) > 0 AS created;
CREATE FUNCTION sleepy() RETURNS trigger LANGUAGE plpgsql AS
$$BEGIN PERFORM pg_sleep(60); RETURN OLD; END$$;
CREATE TRIGGER sleepy BEFORE DELETE ON slow1 FOR EACH ROW EXECUTE FUNCTION sleepy();
INSERT INTO slow1_default VALUES (1, now() + interval '2 years');
INSERT INTO slow2_default VALUES (1, now() + interval '2 years');
SET statement_timeout = '200ms';
SELECT cognomega.run_job('partition_maintenance');
RESET statement_timeout;
-- nothing of the cancelled statement is kept, slow2 included
SELECT count(*) AS slow2_in_default FROM ONLY slow2_default;
SELECT job, last_status FROM cognomega.job_status
 WHERE job = 'partition_maintenance' AND database = current_database();
DROP TRIGGER sleepy ON slow1;

-- 2. partition_status is read by every role: counting a default partition
--    with row-level security must not run the owner's policy code as the
--    reader (a trojan for pg_monitor roles and DBAs); rows_in_default is
--    NULL for a reader the policies would apply to.  partition_data runs
--    the policies as the owner, restricted, as the rest of maintenance.
CREATE ROLE pm_rev2_owner LOGIN;
CREATE ROLE pm_rev2_reader LOGIN;
CREATE ROLE pm_rev2_member LOGIN IN ROLE pm_rev2_owner;
GRANT USAGE, CREATE ON SCHEMA pm_rev2 TO pm_rev2_owner;
GRANT USAGE ON SCHEMA pm_rev2 TO pm_rev2_reader, pm_rev2_member;
SET ROLE pm_rev2_owner;
CREATE TABLE rls (id int, t timestamptz NOT NULL) PARTITION BY RANGE (t);
SELECT cognomega.create_parent('rls', 't', '1 month', 2) > 0 AS created;
CREATE FUNCTION spy() RETURNS bool LANGUAGE plpgsql AS
$$BEGIN RAISE NOTICE 'policy code runs as %', current_user; RETURN true; END$$;
ALTER TABLE rls_default ENABLE ROW LEVEL SECURITY;
ALTER TABLE rls_default FORCE ROW LEVEL SECURITY;
CREATE POLICY p ON rls_default USING (pm_rev2.spy());
GRANT SELECT ON rls_default TO PUBLIC;
INSERT INTO rls_default VALUES (1, 'infinity'), (2, '2001-01-05');
RESET ROLE;
\set VERBOSITY default
SET ROLE pm_rev2_reader;
SELECT rows_in_default FROM cognomega.partition_status WHERE parent = 'rls'::regclass;
RESET ROLE;
SET ROLE pm_rev2_member;
SELECT cognomega.partition_data('rls');
RESET ROLE;
\set VERBOSITY sqlstate
DROP TABLE rls;
DROP FUNCTION spy();
DROP OWNED BY pm_rev2_owner, pm_rev2_reader, pm_rev2_member;
DROP ROLE pm_rev2_owner, pm_rev2_reader, pm_rev2_member;

-- 3. a foreign partition past retention is dropped (DROP FOREIGN TABLE);
--    "is not a table" (42809) used to roll back the whole retention step,
--    so no partition of the parent was ever dropped again
CREATE FOREIGN DATA WRAPPER pm_rev2_fdw;
CREATE SERVER pm_rev2_srv FOREIGN DATA WRAPPER pm_rev2_fdw;
CREATE TABLE ft (id int, t timestamptz NOT NULL) PARTITION BY RANGE (t);
CREATE FOREIGN TABLE ft_old PARTITION OF ft FOR VALUES FROM ('2001-01-01') TO ('2001-02-01')
	SERVER pm_rev2_srv;
CREATE TABLE ft_old2 PARTITION OF ft FOR VALUES FROM ('2001-02-01') TO ('2001-03-01');
SELECT cognomega.create_parent('ft', 't', '1 month', 2, retention => '1 year') > 0 AS created;
SELECT action, partition FROM cognomega.run_maintenance('ft') ORDER BY partition;
SELECT last_error FROM cognomega.part_config WHERE parent = 'ft'::regclass;
DROP TABLE ft;
DROP SERVER pm_rev2_srv;
DROP FOREIGN DATA WRAPPER pm_rev2_fdw;

-- 4. a parent that is itself a partition of a table in a schema published
--    FOR TABLES IN SCHEMA: its default's DELETE is published (via the
--    root, or as a leaf), the INSERT into the not yet attached table is
--    not; the rows stay
CREATE SCHEMA pm_rev2_pub;
CREATE TABLE pm_rev2_pub.grand (id int, t timestamptz NOT NULL, PRIMARY KEY (id, t))
	PARTITION BY RANGE (t);
CREATE TABLE mid PARTITION OF pm_rev2_pub.grand FOR VALUES FROM ('2000-01-01') TO ('2100-01-01')
	PARTITION BY RANGE (t);
SELECT cognomega.create_parent('mid', 't', '1 month', 2) > 0 AS created;
SET client_min_messages = error;
CREATE PUBLICATION pm_rev2_pub FOR TABLES IN SCHEMA pm_rev2_pub WITH (publish_via_partition_root = true);
RESET client_min_messages;
INSERT INTO mid VALUES (1, '2001-01-05');
\set VERBOSITY terse
SELECT action FROM cognomega.run_maintenance('mid');
\set VERBOSITY sqlstate
SELECT count(*) AS mid_in_default FROM ONLY mid_default;
SELECT last_error LIKE '%publication%' AS last_error_says_why
FROM cognomega.part_config WHERE parent = 'mid'::regclass;
DROP PUBLICATION pm_rev2_pub;
DROP SCHEMA pm_rev2_pub CASCADE;

-- 5. the stats job (which now locks each parent's partitions without
--    waiting) with a parent dropped behind cognomega's back: no XX000
CREATE TABLE doomed (t timestamptz NOT NULL) PARTITION BY RANGE (t);
SELECT cognomega.create_parent('doomed', 't', '1 month', 2) > 0 AS created;
SELECT 'doomed'::regclass::oid AS doomed_oid \gset
ALTER EVENT TRIGGER cognomega_forget_dropped_parents DISABLE;
DROP TABLE doomed;
ALTER EVENT TRIGGER cognomega_forget_dropped_parents ENABLE ALWAYS;
SELECT cognomega.run_job('stats') LIKE 'stats:%' AS ran;
SELECT cognomega.undo_parent(:doomed_oid);

DROP SCHEMA pm_rev2 CASCADE;
