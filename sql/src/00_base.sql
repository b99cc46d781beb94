\echo Use "CREATE EXTENSION cognomega" to load this file. \quit

-- cognomega install script, part 0: what every capability shares.
-- Parts are concatenated in file-name order by the Makefile.

COMMENT ON SCHEMA cognomega IS 'cognomega: platform hot paths in the database';

-- The schema is the extension's; callers use qualified names.  Usage is
-- granted so that application roles can call the functions granted to them.
GRANT USAGE ON SCHEMA cognomega TO PUBLIC;

-- Whether this server loaded the library from shared_preload_libraries.
CREATE FUNCTION cognomega.preloaded()
RETURNS bool
LANGUAGE C STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'cognomega_preloaded';
