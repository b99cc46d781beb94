-- cognomega 0.2 -> 0.3
\echo Use "ALTER EXTENSION cognomega UPDATE TO '0.3'" to load this file. \quit

-- Every change made to sql/src since 0.2 is repeated here, in the order of
-- sql/src; test/t/012_upgrade.pl checks that 0.2 + this script equals a
-- fresh 0.3.

-- 0.3 (issue 21.4): what each role's entries occupy (cognomega.cache_role_quota): for
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
