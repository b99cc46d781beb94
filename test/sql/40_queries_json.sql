-- The documents are json text since 0.3 (jsonb before): built by to_json,
-- cached as that text, a hit sent as stored.  Same meaning as 0.2:
-- doc::jsonb equals the 0.2 document, computed here independently in SQL
-- (jsonb_build_object/jsonb_agg/to_jsonb), for many users with NULL
-- columns, unicode and control characters, quotes and backslashes, numeric
-- edge values, and timestamps under other TimeZone/DateStyle/IntervalStyle;
-- key order as documented ("user" before "apps", user columns in table
-- order); a cache hit is byte for byte the miss that stored it.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cognomega;
CREATE SCHEMA qry_json;
SELECT count(*) > 0 AS did_something FROM cognomega.setup('qry_json');
RESET client_min_messages;

-- columns a DBA may add to users, of types that print in many ways
ALTER TABLE qry_json.users
  ADD COLUMN nick text, ADD COLUMN score numeric, ADD COLUMN ratio float8,
  ADD COLUMN r4 real, ADD COLUMN seen timestamp, ADD COLUMN born date,
  ADD COLUMN span interval, ADD COLUMN tags text[], ADD COLUMN meta jsonb,
  ADD COLUMN note json, ADD COLUMN raw bytea, ADD COLUMN at_time timetz,
  ADD COLUMN big bigint, ADD COLUMN "odd ""key"" \ é" text;

-- odd strings: quotes, backslashes, every control character, unicode
-- (also U+2028/U+2029 and an astral character), JSON-looking text
CREATE TABLE qry_json.strings (i int PRIMARY KEY, s text);
INSERT INTO qry_json.strings VALUES
  (0, 'plain'), (1, 'say "hi"'), (2, 'back\slash \\ \n not a newline'),
  (3, E'tab\there\nnewline\rreturn\bback\fform'), (4, E'\u00e9\u00e8 \u4e2d\u6587 \U0001F600'),
  (5, E'\u2028line\u2029para'), (6, '{"not": "an object"}'), (7, ''), (8, ' '),
  (9, '</script>'), (10, 'null'), (11, E'\x7f del'), (12, E'quote \' apostrophe');
INSERT INTO qry_json.strings SELECT 100 + c, 'ctl ' || chr(c) || ' end' FROM generate_series(1, 31) c;

-- numeric and float edge values
CREATE TABLE qry_json.numbers (i int PRIMARY KEY, n numeric, f float8, r real, b bigint);
INSERT INTO qry_json.numbers VALUES
  (0, 0, 0, 0, 0), (1, '-0', '-0', '-0', -1), (2, 'NaN', 'NaN', 'NaN', 9223372036854775807),
  (3, 'Infinity', 'Infinity', 'Infinity', -9223372036854775808),
  (4, '-Infinity', '-Infinity', '-Infinity', 42), (5, 1e-300, 5e-324, 1.4e-45, 1),
  (6, 1e300, 1.7976931348623157e308, 3.4028235e38, 2), (7, 0.1000, 0.1, 0.1, 3),
  (8, 123456789012345678901234567890.123456789, 1e15, 1e10, 4), (9, -1.5e-10, -2.5e-10, 1e-7, 5),
  (10, NULL, NULL, NULL, NULL);

-- 300 users; every other value NULL here and there
INSERT INTO qry_json.users (id, email, subscription_tier, subscription_status, is_active, created_at,
                            nick, score, ratio, r4, seen, born, span, tags, meta, note, raw, at_time, big,
                            "odd ""key"" \ é")
SELECT ('00000000-0000-0000-0000-' || lpad(to_hex(g), 12, '0'))::uuid,
       'user' || g || '@example.com',
       CASE g % 3 WHEN 0 THEN 'free' WHEN 1 THEN 'pro' ELSE s.s END,
       'active', g % 2 = 0,
       '2026-01-01 00:00:00.123456+00'::timestamptz + g * interval '37 hours 11 min 0.5 s',
       CASE WHEN g % 5 = 0 THEN NULL ELSE s.s END,
       CASE WHEN g % 7 = 0 THEN NULL ELSE n.n END,
       CASE WHEN g % 11 = 0 THEN NULL ELSE n.f END,
       n.r,
       CASE WHEN g % 4 = 0 THEN NULL ELSE '1999-12-31 23:59:59.999999'::timestamp + g * interval '1 day' END,
       CASE WHEN g % 6 = 0 THEN NULL WHEN g % 6 = 1 THEN 'infinity'::date ELSE '0044-03-15 BC'::date + g END,
       CASE WHEN g % 3 = 0 THEN NULL ELSE make_interval(years => g % 5, months => g % 13, days => -g, secs => g * 1.25) END,
       CASE WHEN g % 8 = 0 THEN NULL WHEN g % 8 = 1 THEN '{}'::text[] ELSE ARRAY[s.s, NULL, 'x'] END,
       CASE WHEN g % 9 = 0 THEN NULL ELSE jsonb_build_object('s', s.s, 'n', g, 'a', jsonb_build_array(1, 'two', NULL)) END,
       CASE WHEN g % 10 = 0 THEN NULL ELSE json_build_object('k', s.s, 'g', g) END,
       CASE WHEN g % 12 = 0 THEN NULL ELSE convert_to(s.s, 'UTF8') END,
       '12:34:56.789+05:30'::timetz,
       n.b,
       s.s
  FROM generate_series(1, 300) g
  JOIN qry_json.strings s ON s.i = (SELECT i FROM qry_json.strings ORDER BY i OFFSET g % 44 LIMIT 1)
  JOIN qry_json.numbers n ON n.i = g % 11;

-- apps: none for every fifth user, up to 6 for the others, titles odd or NULL,
-- some with the same created_at (ties by id)
INSERT INTO qry_json.generated_apps (id, user_id, title, status, created_at)
SELECT ('00000000-0000-0000-0001-' || lpad(to_hex(g * 10 + k), 12, '0'))::uuid, u.id,
       CASE WHEN k = 3 THEN NULL ELSE (SELECT s FROM qry_json.strings ORDER BY i OFFSET (g + k) % 44 LIMIT 1) END,
       (ARRAY['generating', 'completed', 'failed'])[1 + k % 3],
       '2026-06-01 12:00+00'::timestamptz - (k / 2) * interval '1 hour 0.000001 s'
  FROM generate_series(1, 300) g
  JOIN qry_json.users u ON u.id = ('00000000-0000-0000-0000-' || lpad(to_hex(g), 12, '0'))::uuid
  CROSS JOIN generate_series(1, 6) k
 WHERE g % 5 <> 0 AND k <= 1 + g % 6;

-- agents (odd names, some inactive) with tasks, for the first 60 users
INSERT INTO qry_json.ai_agents (id, user_id, name, type, status, created_at)
SELECT ('00000000-0000-0000-0002-' || lpad(to_hex(g * 10 + k), 12, '0'))::uuid,
       ('00000000-0000-0000-0000-' || lpad(to_hex(g), 12, '0'))::uuid,
       (SELECT s FROM qry_json.strings ORDER BY i OFFSET (g * 3 + k) % 44 LIMIT 1),
       CASE WHEN k = 2 THEN NULL ELSE 'codegen' END,
       CASE WHEN k = 3 THEN 'paused' ELSE 'active' END,
       '2026-05-01 08:00+00'::timestamptz + k * interval '1 minute'
  FROM generate_series(1, 60) g CROSS JOIN generate_series(1, g % 4) k;
INSERT INTO qry_json.ai_agent_tasks (agent_id, status, payload)
SELECT a.id, (ARRAY['pending', 'in_progress', 'done'])[1 + t % 3], '{}'
  FROM qry_json.ai_agents a CROSS JOIN generate_series(1, 5) t;

-- analytics: numeric edge values in the rate columns
INSERT INTO qry_json.ai_agent_analytics (agent_id, period, total_interactions, success_rate, cost_per_interaction, created_at)
SELECT a.id, p, (row_number() OVER w)::bigint * 1000000007,
       (ARRAY[0, 1, 0.5, 0.333333333333333333333, NULL, 1e-20]::numeric[])[1 + (row_number() OVER w)::int % 6],
       (ARRAY[0, 'Infinity', 'NaN', 1e100, NULL, 0.01]::numeric[])[1 + (row_number() OVER w)::int % 6],
       '2026-05-02 00:00+00'::timestamptz + (row_number() OVER w) * interval '1 s'
  FROM qry_json.ai_agents a CROSS JOIN unnest(ARRAY['daily', 'weekly']) p
 WINDOW w AS (ORDER BY a.id, p);

-- the 0.2 documents, computed independently (jsonb, keys as jsonb orders them)
CREATE FUNCTION qry_json.ref_user(uid uuid) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object('user', to_jsonb(u),
           'apps', coalesce((SELECT jsonb_agg(jsonb_build_object('id', a.id, 'title', a.title,
                                                                 'status', a.status, 'created_at', a.created_at)
                                              ORDER BY a.created_at DESC, a.id)
                               FROM qry_json.generated_apps a WHERE a.user_id = u.id), '[]'))
    FROM qry_json.users u WHERE u.id = uid $$;
CREATE FUNCTION qry_json.ref_agents(uid uuid) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object('user_id', u.id,
           'agents', coalesce((SELECT jsonb_agg(jsonb_build_object('id', g.id, 'name', g.name, 'type', g.type,
                                                                   'status', g.status, 'created_at', g.created_at,
                                                                   'pending', (SELECT count(*) FROM qry_json.ai_agent_tasks t
                                                                                WHERE t.agent_id = g.id AND t.status = 'pending'),
                                                                   'in_progress', (SELECT count(*) FROM qry_json.ai_agent_tasks t
                                                                                    WHERE t.agent_id = g.id AND t.status = 'in_progress'))
                                                ORDER BY g.created_at DESC, g.id)
                                 FROM qry_json.ai_agents g WHERE g.user_id = u.id AND g.status = 'active'), '[]'))
    FROM qry_json.users u WHERE u.id = uid $$;
CREATE FUNCTION qry_json.ref_analytics(aid uuid, per text) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT to_jsonb(a) FROM qry_json.ai_agent_analytics a
   WHERE a.agent_id = aid AND a.period = per ORDER BY a.created_at DESC LIMIT 1 $$;

-- every user, every agent: the new text, its jsonb, the reference; a first
-- pass (misses, stored), a second (hits), and with the cache off
CREATE TABLE qry_json.runs (pass text, kind text, id uuid, doc json, ref jsonb);
CREATE PROCEDURE qry_json.run(pass text) LANGUAGE sql AS $$
  INSERT INTO qry_json.runs
  SELECT pass, 'user', u.id, cognomega.user_with_apps(u.id), qry_json.ref_user(u.id) FROM qry_json.users u;
  INSERT INTO qry_json.runs
  SELECT pass, 'agents', u.id, cognomega.user_agents_overview(u.id), qry_json.ref_agents(u.id) FROM qry_json.users u;
  INSERT INTO qry_json.runs
  SELECT pass, 'analytics ' || p, a.id, cognomega.agent_analytics(a.id, p), qry_json.ref_analytics(a.id, p)
    FROM qry_json.ai_agents a CROSS JOIN unnest(ARRAY['daily', 'weekly', 'monthly']) p;
  INSERT INTO qry_json.runs
  SELECT pass, 'batch', w.user_id, w.doc, qry_json.ref_user(w.user_id)
    FROM cognomega.users_with_apps(ARRAY(SELECT id FROM qry_json.users ORDER BY email)) w;
$$;

SELECT cognomega.cache_clear() >= 0 AS cleared;
-- odd output settings: every timestamptz, timestamp, date and interval prints otherwise
SET TimeZone = 'America/St_Johns';
SET DateStyle = 'SQL, DMY';
SET IntervalStyle = 'sql_standard';
SET extra_float_digits = 0;
SET bytea_output = 'escape';
CALL qry_json.run('odd settings, miss');
CALL qry_json.run('odd settings, hit');
SET TimeZone = 'Asia/Kathmandu';
SET DateStyle = 'German';
SET IntervalStyle = 'iso_8601';
SET extra_float_digits = 3;
RESET bytea_output;
CALL qry_json.run('other settings, miss');
CALL qry_json.run('other settings, hit');
SET cognomega.cache_enabled = off;
CALL qry_json.run('other settings, cache off');
RESET cognomega.cache_enabled;
RESET TimeZone;
RESET DateStyle;
RESET IntervalStyle;
RESET extra_float_digits;
CALL qry_json.run('default settings, miss');
CALL qry_json.run('default settings, hit');

-- the documents compared, per pass and kind: all equal to 0.2's
SELECT pass, kind, count(*) AS docs, count(doc) AS not_null,
       count(*) FILTER (WHERE doc::jsonb IS DISTINCT FROM ref) AS different
  FROM qry_json.runs GROUP BY 1, 2 ORDER BY 1, 2;
-- a hit returns the stored text, byte for byte the miss's, and so does the
-- cache off (the same text built again)
SELECT m.pass, count(*) AS docs, count(*) FILTER (WHERE h.doc::text IS DISTINCT FROM m.doc::text) AS different
  FROM qry_json.runs m JOIN qry_json.runs h
    ON h.kind = m.kind AND h.id = m.id
   AND h.pass = replace(m.pass, 'miss', 'hit')
 WHERE m.pass LIKE '%miss' GROUP BY 1 ORDER BY 1;
SELECT count(*) AS docs, count(*) FILTER (WHERE o.doc::text IS DISTINCT FROM m.doc::text) AS different
  FROM qry_json.runs m JOIN qry_json.runs o ON o.kind = m.kind AND o.id = m.id
 WHERE m.pass = 'other settings, miss' AND o.pass = 'other settings, cache off';
-- the settings changed the text (timestamps, intervals, floats, bytea)
SELECT count(*) FILTER (WHERE a.doc::text <> b.doc::text) > 100 AS settings_show
  FROM qry_json.runs a JOIN qry_json.runs b ON b.kind = a.kind AND b.id = a.id
 WHERE a.pass = 'odd settings, miss' AND b.pass = 'default settings, miss';
-- users_with_apps gives the text user_with_apps gives
SELECT count(*) AS docs, count(*) FILTER (WHERE b.doc::text IS DISTINCT FROM s.doc::text) AS different
  FROM qry_json.runs s JOIN qry_json.runs b ON b.id = s.id AND b.pass = s.pass
 WHERE s.kind = 'user' AND b.kind = 'batch';

-- key order: "user" then "apps", the user's columns in table order, the
-- apps' and agents' keys as documented
SELECT bool_and(ARRAY(SELECT json_object_keys(doc)) = '{user,apps}') AS top_keys,
       bool_and(ARRAY(SELECT json_object_keys(doc -> 'user')) =
                ARRAY(SELECT attname::text FROM pg_attribute
                       WHERE attrelid = 'qry_json.users'::regclass AND attnum > 0 AND NOT attisdropped
                       ORDER BY attnum)) AS user_keys_in_table_order,
       bool_and(json_array_length(doc -> 'apps') = 0 OR
                ARRAY(SELECT json_object_keys(doc -> 'apps' -> 0)) = '{id,title,status,created_at}') AS app_keys
  FROM qry_json.runs WHERE kind IN ('user', 'batch');
SELECT bool_and(ARRAY(SELECT json_object_keys(doc)) = '{user_id,agents}') AS top_keys,
       bool_and(json_array_length(doc -> 'agents') = 0 OR
                ARRAY(SELECT json_object_keys(doc -> 'agents' -> 0)) =
                '{id,name,type,status,created_at,pending,in_progress}') AS agent_keys
  FROM qry_json.runs WHERE kind = 'agents';

-- values print exactly as to_json prints them (the text, not only the value)
SELECT count(*) AS users,
       count(*) FILTER (WHERE cognomega.user_with_apps(u.id)::jsonb -> 'user' IS DISTINCT FROM to_jsonb(u)) AS different_value,
       count(*) FILTER (WHERE strpos(cognomega.user_with_apps(u.id)::text, '{"user":' || to_json(u)::text || ',"apps":[') <> 1) AS different_text
  FROM qry_json.users u;

-- a sample document as sent (compact, keys in order), and the odd values in it
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000003');
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000003') -> 'apps' -> 0 ->> 'title' AS title;
SELECT cognomega.user_agents_overview('00000000-0000-0000-0000-000000000003');
SELECT cognomega.agent_analytics('00000000-0000-0000-0002-00000000001f', 'daily');
SELECT pg_typeof(cognomega.user_with_apps('00000000-0000-0000-0000-000000000003')) AS type,
       (SELECT pg_typeof(doc) FROM cognomega.users_with_apps('{00000000-0000-0000-0000-000000000003}')) AS batch_type;

-- an unknown user: NULL (cached as a JSON null), again on the hit
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-0000000fffff') IS NULL AS unknown,
       cognomega.user_with_apps('00000000-0000-0000-0000-0000000fffff') IS NULL AS unknown_again;

-- cached_query: an array of to_json(row), compact, columns in order; its
-- jsonb the 0.2 value; the hit byte for byte the miss
SELECT cognomega.cached_query('SELECT i, s FROM qry_json.strings WHERE i < 3 ORDER BY i');
SELECT cognomega.cached_query('SELECT i FROM qry_json.strings WHERE i < 0');
SELECT cognomega.cached_query('SELECT * FROM qry_json.numbers ORDER BY i')::jsonb =
       (SELECT jsonb_agg(to_jsonb(x) ORDER BY x.i) FROM qry_json.numbers x) AS numbers_same,
       cognomega.cached_query('SELECT * FROM qry_json.numbers ORDER BY i')::text =
       (SELECT '[' || string_agg(to_json(x)::text, ',' ORDER BY x.i) || ']' FROM qry_json.numbers x) AS numbers_text;
SET TimeZone = 'America/St_Johns';
SET DateStyle = 'SQL, DMY';
SET IntervalStyle = 'postgres_verbose';
SELECT cognomega.cached_query('SELECT * FROM qry_json.users ORDER BY id')::jsonb =
       (SELECT jsonb_agg(to_jsonb(u) ORDER BY u.id) FROM qry_json.users u) AS users_same,
       cognomega.cached_query('SELECT * FROM qry_json.users ORDER BY id')::text =
       (SELECT '[' || string_agg(to_json(u)::text, ',' ORDER BY u.id) || ']' FROM qry_json.users u) AS users_text;
RESET TimeZone;
RESET DateStyle;
RESET IntervalStyle;
SELECT hits > 0 AND stores > 0 AS cache_used FROM cognomega.cache_stats;
