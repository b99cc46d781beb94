SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS cognomega; RESET client_min_messages;
-- cognomega.missing_index_ddl(): statements for psql \gexec on a live
-- database, both modes, including the partitioned table, applied here in
-- autocommit (CREATE INDEX CONCURRENTLY cannot run in a transaction block).
CREATE SCHEMA "setup DDL";
SELECT count(*) > 0 AS did_something FROM cognomega.setup('setup DDL');

-- our own partitions of the analytics table, one of them sub-partitioned;
-- partitions that partition management made (named after their range) or a
-- default partition may exist too: statements for those are counted, not shown
CREATE TABLE "setup DDL".ai_agent_analytics_y2020m01 PARTITION OF "setup DDL".ai_agent_analytics
  FOR VALUES FROM ('2020-01-01') TO ('2020-02-01');
CREATE TABLE "setup DDL".ai_agent_analytics_y2020m02 PARTITION OF "setup DDL".ai_agent_analytics
  FOR VALUES FROM ('2020-02-01') TO ('2020-03-01') PARTITION BY RANGE (created_at);
CREATE TABLE "setup DDL".ai_agent_analytics_y2020m02a PARTITION OF "setup DDL".ai_agent_analytics_y2020m02
  FOR VALUES FROM ('2020-02-01') TO ('2020-02-15');
CREATE TABLE "setup DDL".ai_agent_analytics_y2020m02b PARTITION OF "setup DDL".ai_agent_analytics_y2020m02
  FOR VALUES FROM ('2020-02-15') TO ('2020-03-01');
INSERT INTO "setup DDL".ai_agent_analytics (agent_id, period, created_at)
SELECT gen_random_uuid(), 'daily', '2020-01-01'::timestamptz + i * interval '1 hour'
  FROM generate_series(0, 1000) i;
SELECT index_name, present, valid FROM cognomega.index_status
 WHERE table_name = '"setup DDL".ai_agent_analytics'::regclass;

-- drop every recommended index
SELECT format('DROP INDEX "setup DDL".%I', index_name) FROM cognomega.index_status \gexec
SELECT count(*) FILTER (WHERE NOT present) AS missing FROM cognomega.index_status;

-- concurrently = false: plain CREATE INDEX (PostgreSQL recurses to partitions)
SELECT * FROM cognomega.missing_index_ddl(false);
-- concurrently = true: per partition CONCURRENTLY, then ON ONLY, then ATTACH
SELECT stmt FROM cognomega.missing_index_ddl() AS stmt
 WHERE stmt !~ 'ai_agent_analytics_(p\d|default)';
-- one CREATE INDEX CONCURRENTLY per leaf partition, one ATTACH per partition
WITH d AS (SELECT stmt FROM cognomega.missing_index_ddl() AS stmt WHERE stmt ~ 'ai_agent_analytics'),
     t AS (SELECT * FROM pg_partition_tree('"setup DDL".ai_agent_analytics'))
SELECT (SELECT count(*) FROM d WHERE stmt LIKE 'CREATE INDEX CONCURRENTLY%')
         = (SELECT count(*) FROM t WHERE isleaf) AS cic_per_leaf,
       (SELECT count(*) FROM d WHERE stmt LIKE 'CREATE INDEX % ON ONLY %')
         = (SELECT count(*) FROM t WHERE NOT isleaf) AS on_only_per_level,
       (SELECT count(*) FROM d WHERE stmt LIKE 'ALTER INDEX % ATTACH PARTITION %')
         = (SELECT count(*) FROM t WHERE level > 0) AS attach_per_partition;

-- apply them in autocommit, as a DBA would with \gexec
\set ECHO none
SELECT * FROM cognomega.missing_index_ddl() \gexec
\set ECHO all
SELECT index_name, present, valid FROM cognomega.index_status;
SELECT * FROM cognomega.missing_index_ddl();
SELECT * FROM cognomega.setup('setup DDL');
-- every partition's index is attached to the parent's
SELECT count(*) = (SELECT count(*) FROM pg_partition_tree('"setup DDL".ai_agent_analytics'))
       AS whole_tree_indexed
  FROM pg_partition_tree('"setup DDL".ai_agent_analytics_agent_period_created_idx');

-- a half-applied run is completed: the parent index ON ONLY exists (so the
-- index is present but not valid), one partition already has an equivalent
-- index: that one is only attached
DROP INDEX "setup DDL".ai_agent_analytics_agent_period_created_idx;
CREATE INDEX ai_agent_analytics_agent_period_created_idx
  ON ONLY "setup DDL".ai_agent_analytics (agent_id, period, created_at DESC);
CREATE INDEX premade ON "setup DDL".ai_agent_analytics_y2020m01 (agent_id, period, created_at DESC);
SELECT index_name, present, valid FROM cognomega.index_status
 WHERE table_name = '"setup DDL".ai_agent_analytics'::regclass;
SELECT stmt FROM cognomega.missing_index_ddl() AS stmt
 WHERE stmt !~ 'ai_agent_analytics_(p\d|default)';
\set ECHO none
SELECT * FROM cognomega.missing_index_ddl() \gexec
\set ECHO all
SELECT index_name, present, valid FROM cognomega.index_status
 WHERE table_name = '"setup DDL".ai_agent_analytics'::regclass;
SELECT * FROM cognomega.missing_index_ddl();

-- an invalid index (a failed CREATE INDEX CONCURRENTLY) is present but not
-- valid; the DDL rebuilds it
DROP INDEX "setup DDL".voice_commands_user_language_created_idx;
INSERT INTO "setup DDL".users (id, email) VALUES ('00000000-0000-0000-0000-000000000001', 'v@example.com');
INSERT INTO "setup DDL".voice_commands (user_id, language, created_at)
SELECT '00000000-0000-0000-0000-000000000001', 'en', '2020-01-01' FROM generate_series(1, 2);
CREATE UNIQUE INDEX CONCURRENTLY voice_dup
  ON "setup DDL".voice_commands (user_id, language, created_at DESC);
\echo :LAST_ERROR_SQLSTATE
SELECT index_name, present, valid FROM cognomega.index_status
 WHERE table_name = '"setup DDL".voice_commands'::regclass;
SELECT * FROM cognomega.missing_index_ddl();
SELECT * FROM cognomega.missing_index_ddl(false);
-- setup only creates what is missing: it leaves the invalid index alone
SELECT * FROM cognomega.setup('setup DDL');
DROP INDEX "setup DDL".voice_dup;
SELECT * FROM cognomega.missing_index_ddl(false);
\gexec
SELECT * FROM cognomega.missing_index_ddl();

-- NULL: the function is strict
SELECT count(*) FROM cognomega.missing_index_ddl(NULL);
SET client_min_messages = warning;
DROP SCHEMA "setup DDL" CASCADE;
RESET client_min_messages;
