-- The extension installs, is preloaded, and its schema is fixed.
CREATE EXTENSION cognomega;
SELECT cognomega.preloaded();
SELECT extrelocatable, extnamespace::regnamespace FROM pg_extension WHERE extname = 'cognomega';
SHOW cognomega.cache_size;
-- the prefix is reserved: a misspelt setting is refused
SET cognomega.no_such_setting = 1;
\echo :LAST_ERROR_SQLSTATE
