-- Without shared_preload_libraries: CREATE EXTENSION works, shared-memory
-- features raise a clear error whose HINT names shared_preload_libraries.
CREATE EXTENSION cognomega;
SELECT cognomega.preloaded();
-- session-settable GUCs exist even when loaded late
SET cognomega.cache_enabled = off;
SHOW cognomega.cache_enabled;
-- cache_size is a server-start setting and does not exist without preloading
SHOW cognomega.cache_size;
DROP EXTENSION cognomega;
