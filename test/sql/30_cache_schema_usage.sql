-- A role that loses USAGE on a relation's schema (here: through a role
-- membership revoked from another database, which invalidates nothing in
-- this one) is not served cached rows it could no longer read with a plain
-- query.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cognomega;
CREATE EXTENSION IF NOT EXISTS dblink;
RESET client_min_messages;

CREATE ROLE cu_reader;
CREATE ROLE cu_group;
CREATE SCHEMA cu_s;
CREATE TABLE cu_s.t (x int);
INSERT INTO cu_s.t VALUES (1);
GRANT USAGE ON SCHEMA cu_s TO cu_group;
GRANT SELECT ON cu_s.t TO cu_reader;
GRANT cu_group TO cu_reader;

SET ROLE cu_reader;
SELECT cognomega.cached_query('SELECT x FROM cu_s.t');
SELECT cognomega.cached_query('SELECT x FROM cu_s.t');
SELECT cognomega.cache_put('cu_k', '1', NULL, '{cu_s.t}');
SELECT cognomega.cache_get('cu_k');
RESET ROLE;

SELECT dblink_exec(format('dbname=postgres user=%s port=%s host=%s', current_user,
                          current_setting('port'),
                          split_part(current_setting('unix_socket_directories'), ',', 1)),
                   'REVOKE cu_group FROM cu_reader');

SET ROLE cu_reader;
-- a plain query is refused ...
SELECT x FROM cu_s.t;
\echo :SQLSTATE
-- ... and so are the cached answers
SELECT cognomega.cached_query('SELECT x FROM cu_s.t');
\echo :SQLSTATE
SELECT cognomega.cache_get('cu_k');
\echo :SQLSTATE
RESET ROLE;

-- given back, both are served again
GRANT USAGE ON SCHEMA cu_s TO cu_reader;
SET ROLE cu_reader;
SELECT cognomega.cached_query('SELECT x FROM cu_s.t');
SELECT cognomega.cache_get('cu_k') IS NULL OR cognomega.cache_get('cu_k') = '1' AS consistent;
RESET ROLE;

DROP TABLE cu_s.t;
DROP SCHEMA cu_s;
DROP ROLE cu_reader;
DROP ROLE cu_group;
DROP EXTENSION dblink;

-- The same through a view: the statement names the view, so USAGE on the
-- view's schema is checked as the caller (16+ plans keep a view's
-- permission entry but no RTE_RELATION for it), while the table behind it
-- is read with the view owner's rights.
CREATE ROLE cu_reader;
CREATE ROLE cu_group;
CREATE SCHEMA cu_base;
CREATE SCHEMA cu_views;
CREATE TABLE cu_base.t (x int);
INSERT INTO cu_base.t VALUES (2);
CREATE VIEW cu_views.v AS SELECT x FROM cu_base.t;
GRANT USAGE ON SCHEMA cu_views TO cu_group;
GRANT SELECT ON cu_views.v TO cu_reader;
GRANT cu_group TO cu_reader;

SET ROLE cu_reader;
SELECT x FROM cu_views.v;
SELECT cognomega.cached_query('SELECT x FROM cu_views.v');
SELECT cognomega.cached_query('SELECT x FROM cu_views.v');
RESET ROLE;

REVOKE cu_group FROM cu_reader;

SET ROLE cu_reader;
SELECT x FROM cu_views.v;
\echo :SQLSTATE
SELECT cognomega.cached_query('SELECT x FROM cu_views.v');
\echo :SQLSTATE
RESET ROLE;

GRANT USAGE ON SCHEMA cu_views TO cu_reader;
SET ROLE cu_reader;
SELECT cognomega.cached_query('SELECT x FROM cu_views.v');
RESET ROLE;

-- the view is one of the entry's dependencies (16+ plans list it in
-- relationOids too): replacing it drops the cached rows
SELECT cognomega.cached_query('SELECT x FROM cu_views.v');
CREATE OR REPLACE VIEW cu_views.v AS SELECT x + 10 AS x FROM cu_base.t;
SELECT cognomega.cached_query('SELECT x FROM cu_views.v');

DROP VIEW cu_views.v;
DROP TABLE cu_base.t;
DROP SCHEMA cu_views;
DROP SCHEMA cu_base;
DROP ROLE cu_reader;
DROP ROLE cu_group;
