-- Without shared_preload_libraries every cache function raises 55000 with
-- a HINT naming shared_preload_libraries.
CREATE EXTENSION cognomega;
SELECT cognomega.cache_put('k', '1');
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.cache_get('k');
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.cache_invalidate('k');
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.cache_invalidate_relation('pg_class');
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.cache_clear();
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.cached_query('SELECT 1');
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.cache_sweep();
\echo :LAST_ERROR_SQLSTATE
SELECT cognomega.cache_reset_stats();
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM cognomega.cache_stats;
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM cognomega.cache_role_stats;
\echo :LAST_ERROR_SQLSTATE
DROP EXTENSION cognomega;
