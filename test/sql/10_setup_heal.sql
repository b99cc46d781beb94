-- setup() and missing_index_ddl() heal what a half-applied run can leave
-- (issue 20): an ON ONLY parent index whose last ATTACH never ran stays
-- invalid with every partition's index valid and attached; PostgreSQL
-- validates it only on an actual ATTACH, so a new index must replace it.
-- And setup() after DROP TABLE users CASCADE gives the foreign keys back.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cognomega;
CREATE SCHEMA heal;
SELECT count(*) > 0 AS did_something FROM cognomega.setup('heal');
RESET client_min_messages;
\set VERBOSITY sqlstate

-- the stuck state: the parent index ON ONLY, all partitions' indexes but
-- one attached, then that partition goes (as retention does)
CREATE FUNCTION pg_temp.make_stuck() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	p regclass;
	n int := 0;
	first regclass;
BEGIN
	EXECUTE format('DROP INDEX heal.%I', (SELECT index_name FROM cognomega.index_status
		WHERE table_name = 'heal.ai_agent_analytics'::regclass));
	CREATE INDEX ai_agent_analytics_agent_period_created_idx
		ON ONLY heal.ai_agent_analytics (agent_id, period, created_at DESC);
	FOR p IN SELECT inhrelid::regclass FROM pg_inherits
			  WHERE inhparent = 'heal.ai_agent_analytics'::regclass ORDER BY inhrelid::regclass::text
	LOOP
		n := n + 1;
		EXECUTE format('CREATE INDEX %I ON %s (agent_id, period, created_at DESC)', 'stuck' || n, p);
		IF n = 1 THEN
			first := p;
		ELSE
			EXECUTE format('ALTER INDEX heal.ai_agent_analytics_agent_period_created_idx ATTACH PARTITION heal.%I', 'stuck' || n);
		END IF;
	END LOOP;
	EXECUTE format('ALTER TABLE heal.ai_agent_analytics DETACH PARTITION %s', first);
	EXECUTE format('DROP TABLE %s', first);
END $$;
SELECT pg_temp.make_stuck();
SELECT index_name, present, valid FROM cognomega.index_status
 WHERE table_name = 'heal.ai_agent_analytics'::regclass;

-- missing_index_ddl(): a new tree beside it, CONCURRENTLY, then it goes
SELECT regexp_replace(s, '_p\d{8}', '_pN', 'g') AS stmt
  FROM cognomega.missing_index_ddl() s;
\set ON_ERROR_STOP 1
\set ECHO none
SELECT s FROM cognomega.missing_index_ddl() s \gexec
\set ECHO all
\set ON_ERROR_STOP 0
SELECT index_name, present, valid FROM cognomega.index_status
 WHERE table_name = 'heal.ai_agent_analytics'::regclass;
SELECT count(*) AS left_to_do FROM cognomega.missing_index_ddl();

-- a heal interrupted after the new tree's parent index (statement_timeout,
-- psql carrying on): a rerun completes it, leaving no invalid or
-- duplicate index behind, and never ATTACHes to the old tree
SELECT pg_temp.make_stuck();
\set ECHO none
SELECT s FROM cognomega.missing_index_ddl() WITH ORDINALITY m(s, n)
 WHERE s LIKE 'CREATE%' \gexec
\set ECHO all
SELECT regexp_replace(s, '_p\d{8}', '_pN', 'g') AS stmt
  FROM cognomega.missing_index_ddl() s;
\set ON_ERROR_STOP 1
\set ECHO none
SELECT s FROM cognomega.missing_index_ddl() s \gexec
\set ECHO all
\set ON_ERROR_STOP 0
SELECT index_name, present, valid FROM cognomega.index_status
 WHERE table_name = 'heal.ai_agent_analytics'::regclass;
SELECT count(*) AS left_to_do FROM cognomega.missing_index_ddl();
-- one index per table of the tree, all valid and attached
SELECT count(*) AS indexes, count(*) FILTER (WHERE x.indisvalid) AS valid,
	   count(DISTINCT x.indrelid) AS tables
  FROM pg_partition_tree('heal.ai_agent_analytics') t
  JOIN pg_index x ON x.indrelid = t.relid;

-- the plain way: dropped and built again
SELECT pg_temp.make_stuck();
SELECT s AS stmt FROM cognomega.missing_index_ddl(false) s;

-- setup() does the same
SELECT line FROM cognomega.setup('heal') line;
SELECT index_name, present, valid FROM cognomega.index_status
 WHERE table_name = 'heal.ai_agent_analytics'::regclass;
SELECT count(*) AS nothing_more FROM cognomega.setup('heal');

-- DROP TABLE users CASCADE takes the foreign keys along; setup() gives
-- them back (NOT VALID: the orphans stay, new rows are checked)
INSERT INTO heal.users (id, email) VALUES ('00000000-0000-0000-0000-000000000001', 'a@x');
INSERT INTO heal.generated_apps (user_id, title) VALUES ('00000000-0000-0000-0000-000000000001', 'orphan-to-be');
SET client_min_messages = warning;
DROP TABLE heal.users CASCADE;
RESET client_min_messages;
SELECT line FROM cognomega.setup('heal') line;
SELECT conrelid::regclass, pg_get_constraintdef(oid) FROM pg_constraint
 WHERE contype = 'f' AND connamespace = 'heal'::regnamespace ORDER BY conrelid::regclass::text;
INSERT INTO heal.payments (user_id, amount) VALUES ('00000000-0000-0000-0000-000000000009', 1);
SELECT count(*) AS nothing_more FROM cognomega.setup('heal');

SET client_min_messages = warning;
DROP SCHEMA heal CASCADE;
