-- missing_index_ddl() and setup() on a partitioned platform table with a
-- foreign-table partition (an archived month on another server): no index
-- can be built on it and an ON ONLY parent index never becomes valid with
-- it (PostgreSQL counts the table's partitions), so the statements build
-- the local partitions' indexes and end with a plain CREATE INDEX on the
-- parent, which attaches them and skips the foreign partition.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cognomega;
CREATE TEMP TABLE prev_setup AS SELECT app_schema FROM cognomega.setup_config;
CREATE SCHEMA fdw;
SELECT count(*) > 0 AS did_something FROM cognomega.setup('fdw');
CREATE FOREIGN DATA WRAPPER rvq_dummy;
CREATE SERVER rvq_archive FOREIGN DATA WRAPPER rvq_dummy;
CREATE FOREIGN TABLE fdw.ai_agent_analytics_archive PARTITION OF fdw.ai_agent_analytics
	FOR VALUES FROM ('2000-01-01') TO ('2001-01-01') SERVER rvq_archive;
RESET client_min_messages;
\set VERBOSITY sqlstate

-- the index is missing: built concurrently, and valid in one run
DROP INDEX fdw.ai_agent_analytics_agent_period_created_idx;
SELECT regexp_replace(s, '_p\d{8}', '_pN', 'g') AS stmt
  FROM cognomega.missing_index_ddl() s;
\set ON_ERROR_STOP 1
\set ECHO none
SELECT s FROM cognomega.missing_index_ddl() s \gexec
\set ECHO all
\set ON_ERROR_STOP 0
SELECT index_name, present, valid FROM cognomega.index_status
 WHERE table_name = 'fdw.ai_agent_analytics'::regclass;
SELECT count(*) AS left_to_do FROM cognomega.missing_index_ddl();

-- an ON ONLY parent index left by an older run never becomes valid: a
-- new one replaces it (concurrently), or setup() drops and builds it
DROP INDEX fdw.ai_agent_analytics_agent_period_created_idx;
CREATE INDEX ai_agent_analytics_agent_period_created_idx
	ON ONLY fdw.ai_agent_analytics (agent_id, period, created_at DESC);
SELECT regexp_replace(s, '_p\d{8}', '_pN', 'g') AS stmt
  FROM cognomega.missing_index_ddl() s;
\set ON_ERROR_STOP 1
\set ECHO none
SELECT s FROM cognomega.missing_index_ddl() s \gexec
\set ECHO all
\set ON_ERROR_STOP 0
SELECT index_name, present, valid FROM cognomega.index_status
 WHERE table_name = 'fdw.ai_agent_analytics'::regclass;
SELECT count(*) AS left_to_do FROM cognomega.missing_index_ddl();

DROP INDEX fdw.ai_agent_analytics_agent_period_created_idx1;
CREATE INDEX ai_agent_analytics_agent_period_created_idx
	ON ONLY fdw.ai_agent_analytics (agent_id, period, created_at DESC);
SELECT line FROM cognomega.setup('fdw') line;
SELECT index_name, present, valid FROM cognomega.index_status
 WHERE table_name = 'fdw.ai_agent_analytics'::regclass;

SET client_min_messages = warning;
DROP SCHEMA fdw CASCADE;
DROP SERVER rvq_archive;
DROP FOREIGN DATA WRAPPER rvq_dummy;
DELETE FROM cognomega.setup_config;
INSERT INTO cognomega.setup_config (app_schema) SELECT app_schema FROM prev_setup;
