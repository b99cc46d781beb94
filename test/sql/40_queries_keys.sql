-- Key-level invalidation (issue 12): cache_key_column and its errors, the
-- keys setup() declares, and which writes keep which documents.  Each case
-- caches user A's and user B's documents, writes, and reads the counters:
-- a key-level write misses only the documents of the keys it changed, an
-- unkeyed one (TRUNCATE, replica role, a disabled trigger) all of them.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cognomega;
RESET client_min_messages;
\set VERBOSITY sqlstate

CREATE SCHEMA qk;
SELECT line FROM cognomega.setup('qk') AS line WHERE line LIKE '%cache key%';
SELECT rel, col, position, enabled FROM cognomega.cache_key_columns
 WHERE rel::text LIKE 'qk.%';
-- partitions inherit the trigger, they are not listed apart
SELECT count(*) > 0 AS cloned FROM pg_trigger t JOIN pg_inherits i ON i.inhrelid = t.tgrelid
 WHERE i.inhparent = 'qk.ai_agent_analytics'::regclass AND t.tgname = 'cognomega_cache_keys';

-- ---- the API ----
CREATE TABLE qk_plain (k int, v text);
SELECT cognomega.cache_key_column('qk_plain', 'k');
SELECT cognomega.cache_key_column('qk_plain', 'k');		-- idempotent
SELECT cognomega.cache_key_column('qk_plain', 'v');
SELECT rel, col, position FROM cognomega.cache_key_columns WHERE rel = 'qk_plain'::regclass;
SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'qk_plain'::regclass;
SELECT cognomega.cache_key_column('qk_plain', 'nope');	-- 42703
SELECT cognomega.cache_key_column('qk_plain', 'ctid');	-- 42703
CREATE VIEW qk_view AS SELECT * FROM qk_plain;
SELECT cognomega.cache_key_column('qk_view', 'k');		-- 42809
CREATE TABLE qk_parted (k int, t int) PARTITION BY RANGE (t);
CREATE TABLE qk_parted_1 PARTITION OF qk_parted FOR VALUES FROM (0) TO (10);
SELECT cognomega.cache_key_column('qk_parted_1', 'k');	-- 42809: a partition
SELECT cognomega.cache_key_column('qk_parted', 'k');
SELECT count(*) AS triggers FROM pg_trigger WHERE tgname = 'cognomega_cache_keys'
   AND tgrelid IN ('qk_parted'::regclass, 'qk_parted_1'::regclass);
CREATE TABLE qk_other (k int);
CREATE TRIGGER cognomega_cache_keys AFTER INSERT ON qk_other
  FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger();
SELECT cognomega.cache_key_column('qk_other', 'k');		-- 42710: not ours
CREATE ROLE qk_stranger;
SET ROLE qk_stranger;
SELECT cognomega.cache_key_column('qk_plain', 'k');		-- 42501
RESET ROLE;
DROP TABLE qk_plain, qk_parted, qk_other CASCADE;

-- ---- documents and counters ----
\set A '''00000000-0000-0000-0000-00000000000a'''
\set B '''00000000-0000-0000-0000-00000000000b'''
\set C '''00000000-0000-0000-0000-00000000000c'''
INSERT INTO qk.users (id, email) VALUES (:A, 'a@example.com'), (:B, 'b@example.com'), (:C, 'c@example.com');
INSERT INTO qk.generated_apps (user_id, title) VALUES (:A, 'a1'), (:B, 'b1');

CREATE TABLE qk_seen (hits bigint, misses bigint);
INSERT INTO qk_seen SELECT hits, misses FROM cognomega.cache_stats;
-- read A, B and C; the hits and misses of that reading
CREATE FUNCTION pg_temp.abc(OUT hits bigint, OUT misses bigint, OUT apps text)
LANGUAGE plpgsql AS $$
DECLARE s record;
BEGIN
  UPDATE qk_seen o SET hits = c.hits, misses = c.misses FROM cognomega.cache_stats c;
  SELECT string_agg(coalesce(json_array_length(cognomega.user_with_apps(u)->'apps'), -1)::text, ',' ORDER BY u)
    INTO apps
    FROM unnest('{00000000-0000-0000-0000-00000000000a,00000000-0000-0000-0000-00000000000b,00000000-0000-0000-0000-00000000000c}'::uuid[]) u;
  SELECT c.hits - o.hits, c.misses - o.misses INTO hits, misses
    FROM cognomega.cache_stats c, qk_seen o;
END $$;
-- which of A, B, C missed: the document ids are read once each, so a miss
-- count per user is the difference of two readings
CREATE FUNCTION pg_temp.missed(OUT missed text)
LANGUAGE plpgsql AS $$
DECLARE u uuid; m bigint; o bigint;
BEGIN
  missed := '';
  FOREACH u IN ARRAY '{00000000-0000-0000-0000-00000000000a,00000000-0000-0000-0000-00000000000b,00000000-0000-0000-0000-00000000000c}'::uuid[] LOOP
    SELECT c.misses INTO o FROM cognomega.cache_stats c;
    PERFORM cognomega.user_with_apps(u);
    SELECT c.misses INTO m FROM cognomega.cache_stats c;
    IF m > o THEN missed := missed || right(u::text, 1); END IF;
  END LOOP;
END $$;
SELECT cognomega.cache_clear() >= 0 AS cleared;
SELECT * FROM pg_temp.abc();
SELECT * FROM pg_temp.abc();		-- all hits

-- a new app of A: A misses, B and C stay hits
INSERT INTO qk.generated_apps (user_id, title) VALUES (:A, 'a2');
SELECT * FROM pg_temp.missed();
SELECT * FROM pg_temp.abc();
-- an UPDATE moving B's app to C: the old and the new key
UPDATE qk.generated_apps SET user_id = :C WHERE title = 'b1';
SELECT * FROM pg_temp.missed();
SELECT * FROM pg_temp.abc();
-- a change of a non-key column: its key only
UPDATE qk.generated_apps SET status = 'completed' WHERE title = 'a1';
SELECT * FROM pg_temp.missed();
-- the user row itself (users.id)
UPDATE qk.users SET is_active = false WHERE id = :B;
SELECT * FROM pg_temp.missed();
-- INSERT ... SELECT: every row's key
INSERT INTO qk.generated_apps (user_id, title) SELECT u, 'bulk' FROM unnest(ARRAY[:A, :C]::uuid[]) u;
SELECT * FROM pg_temp.missed();
-- COPY FROM fires the key trigger too
COPY qk.generated_apps (user_id, title) FROM stdin;
00000000-0000-0000-0000-00000000000b	copied
\.
SELECT * FROM pg_temp.missed();
-- MERGE: an update (A's a1) and an insert (C)
MERGE INTO qk.generated_apps g
USING (VALUES ('a1', :A::uuid), ('merged', :C::uuid)) AS s(title, user_id)
   ON g.title = s.title
 WHEN MATCHED THEN UPDATE SET status = 'generating'
 WHEN NOT MATCHED THEN INSERT (user_id, title) VALUES (s.user_id, s.title);
SELECT * FROM pg_temp.missed();
-- DELETE: the deleted rows' keys
DELETE FROM qk.generated_apps WHERE title = 'copied';
SELECT * FROM pg_temp.missed();
-- a cascade: apps follow an owner renamed elsewhere (ON UPDATE CASCADE)
CREATE TABLE qk.owners (uid uuid PRIMARY KEY);
INSERT INTO qk.owners VALUES (:A), (:B), (:C);
ALTER TABLE qk.generated_apps ADD FOREIGN KEY (user_id) REFERENCES qk.owners (uid) ON UPDATE CASCADE;
SELECT * FROM pg_temp.missed();		-- DDL: everyone
UPDATE qk.owners SET uid = :B WHERE uid = :C;	-- fails: B exists
DELETE FROM qk.owners WHERE uid = :B;
DELETE FROM qk.generated_apps WHERE user_id = :B;
SELECT * FROM pg_temp.missed();
UPDATE qk.owners SET uid = :B WHERE uid = :C;	-- C's apps move to B by cascade
SELECT * FROM pg_temp.missed();
SELECT * FROM pg_temp.abc();
-- rollback: nothing
BEGIN;
INSERT INTO qk.generated_apps (user_id, title) VALUES (:A, 'rolled back');
ROLLBACK;
SELECT * FROM pg_temp.missed();
-- own writes: a transaction that wrote generated_apps reads it, not the cache
BEGIN;
INSERT INTO qk.generated_apps (user_id, title) VALUES (:A, 'own');
SELECT * FROM pg_temp.missed();
COMMIT;
SELECT * FROM pg_temp.missed();

-- a transaction that wrote keyed, then in replica role: still keyed (the key trigger fires ALWAYS)
BEGIN;
INSERT INTO qk.generated_apps (user_id, title) VALUES (:A, 'keyed');
SET LOCAL session_replication_role = replica;
INSERT INTO qk.generated_apps (user_id, title) VALUES (:B, 'unkeyed');
COMMIT;
SELECT * FROM pg_temp.missed();
-- two-phase commit: nothing while prepared, COMMIT PREPARED the database
BEGIN;
INSERT INTO qk.generated_apps (user_id, title) VALUES (:A, 'prepared');
PREPARE TRANSACTION 'qk_2pc';
SELECT * FROM pg_temp.missed();
COMMIT PREPARED 'qk_2pc';
SELECT * FROM pg_temp.missed();

-- ---- unkeyed writes: every document of the relation ----
-- replica role, a trigger enabled for the origin only (ENABLE): unkeyed
ALTER TABLE qk.generated_apps ENABLE TRIGGER cognomega_cache_keys;
SELECT * FROM pg_temp.missed();
SET session_replication_role = replica;
INSERT INTO qk.generated_apps (user_id, title) VALUES (:A, 'replica');
RESET session_replication_role;
SELECT * FROM pg_temp.missed();
-- ... the key trigger as cache_key_column makes it (ENABLE ALWAYS): keyed
ALTER TABLE qk.generated_apps ENABLE ALWAYS TRIGGER cognomega_cache_keys;
SELECT * FROM pg_temp.missed();
SET session_replication_role = replica;
INSERT INTO qk.generated_apps (user_id, title) VALUES (:A, 'replica 2');
RESET session_replication_role;
SELECT * FROM pg_temp.missed();
ALTER TABLE qk.generated_apps ENABLE ALWAYS TRIGGER cognomega_cache_keys;
-- a disabled trigger
ALTER TABLE qk.generated_apps DISABLE TRIGGER cognomega_cache_keys;
SELECT rel, col, enabled FROM cognomega.cache_key_columns WHERE rel = 'qk.generated_apps'::regclass;
SELECT * FROM pg_temp.missed();
INSERT INTO qk.generated_apps (user_id, title) VALUES (:A, 'untracked');
SELECT * FROM pg_temp.missed();
COPY qk.generated_apps (user_id, title) FROM stdin;
00000000-0000-0000-0000-00000000000a	copied untracked
\.
SELECT * FROM pg_temp.missed();
ALTER TABLE qk.generated_apps ENABLE ALWAYS TRIGGER cognomega_cache_keys;
SELECT * FROM pg_temp.missed();
-- the trigger dropped: relation-level again
DROP TRIGGER cognomega_cache_keys ON qk.generated_apps;
SELECT * FROM pg_temp.missed();
INSERT INTO qk.generated_apps (user_id, title) VALUES (:A, 'no trigger');
SELECT * FROM pg_temp.missed();
SELECT cognomega.cache_key_column('qk.generated_apps', 'user_id');
SELECT * FROM pg_temp.missed();
INSERT INTO qk.generated_apps (user_id, title) VALUES (:A, 'tracked again');
SELECT * FROM pg_temp.missed();
-- TRUNCATE
TRUNCATE qk.generated_apps CASCADE;
SELECT * FROM pg_temp.missed();
-- cache_invalidate_relation reaches keyed entries
SELECT cognomega.cache_invalidate_relation('qk.generated_apps') >= 3 AS removed;
SELECT * FROM pg_temp.missed();

-- ---- partitions: agent_analytics(agent, period) keys on agent_id ----
\set GA '''00000000-0000-0000-0000-0000000000a1'''
\set GB '''00000000-0000-0000-0000-0000000000b1'''
INSERT INTO qk.ai_agents (id, user_id, name) VALUES (:GA, :A, 'ga'), (:GB, :B, 'gb');
-- a partition whose columns are in another order
CREATE TABLE qk.analytics_2020 (dropped int, LIKE qk.ai_agent_analytics INCLUDING CONSTRAINTS INCLUDING DEFAULTS);
ALTER TABLE qk.analytics_2020 DROP COLUMN dropped;
SELECT attnum FROM pg_attribute WHERE attrelid = 'qk.analytics_2020'::regclass AND attname = 'agent_id';
ALTER TABLE qk.ai_agent_analytics ATTACH PARTITION qk.analytics_2020
  FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
INSERT INTO qk.ai_agent_analytics (agent_id, period, total_interactions, created_at)
VALUES (:GA, 'daily', 1, '2020-06-01'), (:GB, 'daily', 2, now());
CREATE FUNCTION pg_temp.agents_missed(OUT missed text)
LANGUAGE plpgsql AS $$
DECLARE g uuid; m bigint; o bigint;
BEGIN
  missed := '';
  FOREACH g IN ARRAY '{00000000-0000-0000-0000-0000000000a1,00000000-0000-0000-0000-0000000000b1}'::uuid[] LOOP
    SELECT c.misses INTO o FROM cognomega.cache_stats c;
    PERFORM cognomega.agent_analytics(g, 'daily');
    SELECT c.misses INTO m FROM cognomega.cache_stats c;
    IF m > o THEN missed := missed || left(right(g::text, 2), 1); END IF;
  END LOOP;
END $$;
SELECT * FROM pg_temp.agents_missed();
SELECT * FROM pg_temp.agents_missed();
-- routed into the reordered partition: GA only
INSERT INTO qk.ai_agent_analytics (agent_id, period, total_interactions, created_at)
VALUES (:GA, 'daily', 3, '2020-07-01');
SELECT * FROM pg_temp.agents_missed();
-- an UPDATE moving a row between partitions and agents
UPDATE qk.ai_agent_analytics SET created_at = now(), agent_id = :GB
 WHERE total_interactions = 3;
SELECT * FROM pg_temp.agents_missed();
-- one partition's trigger disabled: writes to any partition are unkeyed
ALTER TABLE qk.analytics_2020 DISABLE TRIGGER cognomega_cache_keys;
SELECT * FROM pg_temp.agents_missed();
INSERT INTO qk.ai_agent_analytics (agent_id, period, total_interactions, created_at)
VALUES (:GA, 'weekly', 4, now());
SELECT * FROM pg_temp.agents_missed();
ALTER TABLE qk.analytics_2020 ENABLE ALWAYS TRIGGER cognomega_cache_keys;
SELECT * FROM pg_temp.agents_missed();
INSERT INTO qk.ai_agent_analytics (agent_id, period, total_interactions, created_at)
VALUES (:GA, 'weekly', 5, now());
SELECT * FROM pg_temp.agents_missed();

-- ---- user_agents_overview: the user's agents and each listed agent's tasks ----
CREATE FUNCTION pg_temp.overview_missed(OUT missed text)
LANGUAGE plpgsql AS $$
DECLARE u uuid; m bigint; o bigint;
BEGIN
  missed := '';
  FOREACH u IN ARRAY '{00000000-0000-0000-0000-00000000000a,00000000-0000-0000-0000-00000000000b}'::uuid[] LOOP
    SELECT c.misses INTO o FROM cognomega.cache_stats c;
    PERFORM cognomega.user_agents_overview(u);
    SELECT c.misses INTO m FROM cognomega.cache_stats c;
    IF m > o THEN missed := missed || right(u::text, 1); END IF;
  END LOOP;
END $$;
SELECT * FROM pg_temp.overview_missed();
SELECT * FROM pg_temp.overview_missed();
INSERT INTO qk.ai_agent_tasks (agent_id) VALUES (:GB);
SELECT * FROM pg_temp.overview_missed();
SELECT cognomega.user_agents_overview(:B) #>> '{agents,0,pending}' AS pending;
UPDATE qk.ai_agents SET status = 'paused' WHERE id = :GA;
SELECT * FROM pg_temp.overview_missed();

-- session_replication_role switched to replica in the middle of a write
-- (set_config in the statement) and back to origin before COMMIT: the rows
-- stored meanwhile fired no origin-only trigger, so the key trigger fires
-- always (ENABLE ALWAYS) and a trigger that does not is never keyed
SELECT tgenabled FROM pg_trigger WHERE tgrelid = 'qk.generated_apps'::regclass
   AND tgname = 'cognomega_cache_keys';
INSERT INTO qk.generated_apps (user_id, title) VALUES (:A, 'role');
SELECT cognomega.user_with_apps(:A) IS NOT NULL AS cached;
BEGIN;
UPDATE qk.generated_apps SET title = 'role ' ||
       set_config('session_replication_role', 'replica', true)
 WHERE title = 'role';
SET LOCAL session_replication_role = origin;
COMMIT;
SELECT cognomega.user_with_apps(:A)::text LIKE '%"role replica"%' AS fresh;
-- a trigger enabled for the origin only (ENABLE): every write unkeyed
ALTER TABLE qk.generated_apps ENABLE TRIGGER cognomega_cache_keys;
SELECT rel, col, enabled FROM cognomega.cache_key_columns WHERE rel = 'qk.generated_apps'::regclass;
SELECT cognomega.user_with_apps(:A) IS NOT NULL AS cached;
BEGIN;
UPDATE qk.generated_apps SET title = 'role 2 ' ||
       set_config('session_replication_role', 'replica', true)
 WHERE title = 'role replica';
SET LOCAL session_replication_role = origin;
COMMIT;
SELECT cognomega.user_with_apps(:A)::text LIKE '%"role 2 replica"%' AS fresh;
ALTER TABLE qk.generated_apps ENABLE ALWAYS TRIGGER cognomega_cache_keys;

-- cache_key_columns prints the names as declared: not escaped (non-ASCII,
-- a backslash), and one row per column even for a name holding "\000"
CREATE TABLE qk_names ("clé" int, "a\b" int, "x\000y" int);
SELECT cognomega.cache_key_column('qk_names', 'clé');
SELECT cognomega.cache_key_column('qk_names', 'a\b');
SELECT cognomega.cache_key_column('qk_names', 'x\000y');
SELECT rel, col, position, enabled FROM cognomega.cache_key_columns WHERE rel = 'qk_names'::regclass;
DROP TABLE qk_names;

-- declared from a statement that reads the table (setup() in a query over
-- it does that): the trigger is created enabled ALWAYS, without an ALTER
-- TABLE that would fail with 55006; partitions get clones in that state
CREATE TABLE qk_busy (k int, t int) PARTITION BY LIST (t);
CREATE TABLE qk_busy_1 PARTITION OF qk_busy FOR VALUES IN (1);
INSERT INTO qk_busy VALUES (1, 1);
SELECT cognomega.cache_key_column('qk_busy', 'k') FROM qk_busy;
SELECT tgrelid::regclass, tgenabled FROM pg_trigger
 WHERE tgname = 'cognomega_cache_keys' AND tgrelid IN ('qk_busy'::regclass, 'qk_busy_1'::regclass)
 ORDER BY 1::text;
CREATE TABLE qk_busy_2 PARTITION OF qk_busy FOR VALUES IN (2);
SELECT tgenabled FROM pg_trigger WHERE tgname = 'cognomega_cache_keys' AND tgrelid = 'qk_busy_2'::regclass;
DROP TABLE qk_busy;

-- ENABLE TRIGGER ALL after a maintenance window (or pg_restore
-- --disable-triggers) leaves the key trigger enabled for the origin only:
-- correct but relation-level.  cache_key_column, and so setup(), restore it
SELECT tgenabled FROM pg_trigger WHERE tgrelid = 'qk.generated_apps'::regclass
   AND tgname = 'cognomega_cache_keys';
ALTER TABLE qk.generated_apps DISABLE TRIGGER ALL;
ALTER TABLE qk.generated_apps ENABLE TRIGGER ALL;
SELECT rel, col, enabled FROM cognomega.cache_key_columns WHERE rel = 'qk.generated_apps'::regclass;
SELECT line FROM cognomega.setup('qk') AS line WHERE line LIKE '%cache key%';
SELECT rel, col, enabled FROM cognomega.cache_key_columns WHERE rel = 'qk.generated_apps'::regclass;
SELECT line FROM cognomega.setup('qk') AS line WHERE line LIKE '%cache key%';
ALTER TABLE qk.ai_agents ENABLE TRIGGER cognomega_cache_keys;
SELECT cognomega.cache_key_column('qk.ai_agents', 'id');
SELECT rel, col, position, enabled FROM cognomega.cache_key_columns WHERE rel = 'qk.ai_agents'::regclass;

DROP SCHEMA qk CASCADE;
DROP TABLE qk_seen;
DROP ROLE qk_stranger;
