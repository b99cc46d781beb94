-- setup() and the index views need no shared memory: they work when the
-- library is not preloaded.
SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS cognomega; RESET client_min_messages;
SELECT cognomega.preloaded();
CREATE SCHEMA setup_np;
SELECT count(*) > 0 AS did_something FROM cognomega.setup('setup_np');
SELECT count(*) FILTER (WHERE present AND valid) AS in_place FROM cognomega.index_status;
SELECT * FROM cognomega.missing_index_ddl();
SELECT cognomega.app_schema();
-- leave the database as the next test expects it
SET client_min_messages = warning;
DROP SCHEMA setup_np CASCADE;
DROP EXTENSION cognomega;
RESET client_min_messages;
