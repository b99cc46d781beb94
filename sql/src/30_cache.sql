
-- ---------------------------------------------------------------------------
-- Part 3: shared-memory result cache (src/cache.c, src/cache_sql.c,
-- src/invalidate.c).  Everything needs shared_preload_libraries.
--
-- Grants: reading and writing one's own entries (keys are scoped by
-- database and current role) is for everyone.  cache_invalidate_relation
-- is for the relation's owner (checked in C).  Dropping every entry,
-- resetting statistics and sweeping are administrative: revoked from
-- PUBLIC, a DBA grants them deliberately.
-- ---------------------------------------------------------------------------

CREATE FUNCTION cognomega.cache_put(key text, value jsonb,
                                    ttl interval DEFAULT NULL,
                                    depends_on pg_catalog.regclass[] DEFAULT '{}')
RETURNS bool
LANGUAGE C VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'cognomega_cache_put';
COMMENT ON FUNCTION cognomega.cache_put(text, jsonb, interval, pg_catalog.regclass[]) IS
    'store value under key for the current role; false when not stored';

CREATE FUNCTION cognomega.cache_get(key text)
RETURNS jsonb
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'cognomega_cache_get';
COMMENT ON FUNCTION cognomega.cache_get(text) IS
    'the valid entry stored under key for the current role, NULL on a miss';

CREATE FUNCTION cognomega.cache_invalidate(key text)
RETURNS bool
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'cognomega_cache_invalidate';
COMMENT ON FUNCTION cognomega.cache_invalidate(text) IS
    'remove the current role''s entry for key; true when there was one';

CREATE FUNCTION cognomega.cache_invalidate_relation(rel pg_catalog.regclass)
RETURNS bigint
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'cognomega_cache_invalidate_relation';
COMMENT ON FUNCTION cognomega.cache_invalidate_relation(pg_catalog.regclass) IS
    'invalidate every entry depending on rel (or its partition tree); returns entries removed';

CREATE FUNCTION cognomega.cache_clear()
RETURNS bigint
LANGUAGE C VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'cognomega_cache_clear';
COMMENT ON FUNCTION cognomega.cache_clear() IS
    'remove every entry of every database and role; returns entries removed';

CREATE FUNCTION cognomega.cached_query(query text, ttl interval DEFAULT NULL)
RETURNS json
LANGUAGE C VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'cognomega_cached_query_json';
COMMENT ON FUNCTION cognomega.cached_query(text, interval) IS
    'run a read-only query, its rows as a json array of objects, served from the cache when valid';

CREATE FUNCTION cognomega.cache_sweep()
RETURNS bigint
LANGUAGE C VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'cognomega_cache_sweep';
COMMENT ON FUNCTION cognomega.cache_sweep() IS
    'remove expired and invalidated entries now; returns how many (the cache_sweep job)';

CREATE FUNCTION cognomega.cache_reset_stats()
RETURNS void
LANGUAGE C VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'cognomega_cache_reset_stats';

CREATE FUNCTION cognomega.cache_stats_internal(
    OUT entries bigint, OUT bytes_used bigint, OUT bytes_total bigint,
    OUT hits bigint, OUT misses bigint, OUT stores bigint,
    OUT evictions bigint, OUT expirations bigint, OUT invalidations bigint,
    OUT hit_ratio float8)
RETURNS record
LANGUAGE C VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'cognomega_cache_stats';

CREATE VIEW cognomega.cache_stats AS
    SELECT entries, bytes_used, bytes_total, hits, misses, stores,
           evictions, expirations, invalidations, hit_ratio
    FROM cognomega.cache_stats_internal();
COMMENT ON VIEW cognomega.cache_stats IS
    'result cache figures since server start or cache_reset_stats()';

REVOKE ALL ON FUNCTION cognomega.cache_clear() FROM PUBLIC;
REVOKE ALL ON FUNCTION cognomega.cache_reset_stats() FROM PUBLIC;
REVOKE ALL ON FUNCTION cognomega.cache_sweep() FROM PUBLIC;
GRANT SELECT ON cognomega.cache_stats TO PUBLIC;

-- What each role's entries occupy (cognomega.cache_role_quota): for
-- pg_monitor, not PUBLIC (it tells which roles use the cache, and how much).
CREATE FUNCTION cognomega.cache_role_stats_internal(
    OUT role oid, OUT entries bigint, OUT bytes bigint)
RETURNS SETOF record
LANGUAGE C VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'cognomega_cache_role_stats';

CREATE VIEW cognomega.cache_role_stats AS
    SELECT coalesce(r.rolname, s.role::text)::name AS role, s.entries, s.bytes
    FROM cognomega.cache_role_stats_internal() s
    LEFT JOIN pg_catalog.pg_roles r ON r.oid = s.role;
COMMENT ON VIEW cognomega.cache_role_stats IS
    'result cache entries and bytes (chunks held) per role, against cognomega.cache_role_quota';

REVOKE ALL ON FUNCTION cognomega.cache_role_stats_internal() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cognomega.cache_role_stats_internal() TO pg_monitor;
REVOKE ALL ON cognomega.cache_role_stats FROM PUBLIC;
GRANT SELECT ON cognomega.cache_role_stats TO pg_monitor;

-- Key-level invalidation (issue 12, docs/cache.md).  A key column is
-- declared by a row trigger on our C function, the column names its
-- arguments: the trigger reports the keys of the rows a write changes, and
-- it is the declaration itself (pg_dump keeps it with its table; on a
-- partitioned table it is cloned to every partition).
CREATE FUNCTION cognomega._cache_key_trigger()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'cognomega_cache_key_trigger';
COMMENT ON FUNCTION cognomega._cache_key_trigger() IS
    'row trigger of cache_key_column: reports the keys of changed rows to the cache';

CREATE FUNCTION cognomega.cache_key_column(rel pg_catalog.regclass, col name)
RETURNS void
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'cognomega_cache_key_column';
COMMENT ON FUNCTION cognomega.cache_key_column(pg_catalog.regclass, name) IS
    'declare col a key column of rel (its owner only): writes invalidate the cache per key value';

CREATE VIEW cognomega.cache_key_columns AS
    SELECT t.tgrelid::pg_catalog.regclass AS rel,
           (pg_catalog.convert_from(pg_catalog.decode(a.arg[1], 'escape'),
                                    pg_catalog.getdatabaseencoding())
            COLLATE pg_catalog."default")::name AS col,
           a.n::int AS position, t.tgenabled = 'A' AS enabled
    FROM pg_catalog.pg_trigger t
    CROSS JOIN LATERAL pg_catalog.regexp_matches(pg_catalog.encode(t.tgargs, 'escape'),
        '((?:[^\\]|\\\\|\\(?!000)[0-7]{3})*)\\000', 'g') WITH ORDINALITY AS a(arg, n)
    WHERE t.tgfoid = 'cognomega._cache_key_trigger()'::pg_catalog.regprocedure
      AND t.tgparentid = 0
    ORDER BY 1::text, 3;
COMMENT ON VIEW cognomega.cache_key_columns IS
    'the declared key columns (cache_key_column): writes invalidate entries per key value';
GRANT SELECT ON cognomega.cache_key_columns TO PUBLIC;

-- DROP EXTENSION: the key triggers on users' tables depend on
-- _cache_key_trigger; they are dropped first, so that a plain DROP EXTENSION
-- works and keeps the tables (as before 0.3).
CREATE FUNCTION cognomega._drop_key_triggers()
RETURNS event_trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'cognomega_drop_extension_event';
CREATE EVENT TRIGGER cognomega_drop_key_triggers ON ddl_command_start
    WHEN TAG IN ('DROP EXTENSION')
    EXECUTE FUNCTION cognomega._drop_key_triggers();
