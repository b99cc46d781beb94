-- Holes a second adversarial review of the result cache found (after issues
-- 18 and 21), each failing before its fix.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cognomega;
RESET client_min_messages;
\set VERBOSITY sqlstate

CREATE SCHEMA cache_rvc;
SET search_path = cache_rvc, public;
SELECT cognomega.cache_clear() >= 0 AS cleared;

-- 1. reg* and aclitem columns print names read from the catalogs when the
-- row is converted: a RENAME of the referenced table (which invalidates
-- only that table's entries), or a new table earlier in the search_path
-- (harmless DDL), changes the answer without touching the table read.
CREATE TABLE target (a int);
CREATE TABLE refs (r regclass, rs regclass[]);
INSERT INTO refs VALUES ('target', ARRAY['target'::regclass]);
SELECT cognomega.cached_query('SELECT r, rs FROM refs') AS before_rename;
ALTER TABLE target RENAME TO target2;
SELECT cognomega.cached_query('SELECT r, rs FROM refs') AS after_rename,
       (SELECT r FROM refs) AS plain;
CREATE SCHEMA cache_rvc_front;
SET search_path = cache_rvc_front, cache_rvc, public;
SELECT cognomega.cached_query('SELECT r FROM cache_rvc.refs') AS before_shadow;
CREATE TABLE cache_rvc_front.target2 (b int);
SELECT cognomega.cached_query('SELECT r FROM cache_rvc.refs') AS after_shadow,
       (SELECT r FROM cache_rvc.refs) AS plain;
SET search_path = cache_rvc, public;
-- a role name in a regrole column: DROP ROLE is harmless DDL
CREATE ROLE cache_rvc_gone;
CREATE TABLE roles (r regrole);
INSERT INTO roles VALUES ('cache_rvc_gone');
SELECT cognomega.cached_query('SELECT r::oid > 0 AS ok, r FROM roles') IS NOT NULL AS filled;
DROP ROLE cache_rvc_gone;
SELECT cognomega.cached_query('SELECT r::oid > 0 AS ok, r FROM roles')
       = (SELECT jsonb_agg(to_jsonb(x)) FROM (SELECT r::oid > 0 AS ok, r FROM roles) x)
       AS same_as_plain;
-- what the key covers is still stored: date/time and money output
CREATE TABLE stamps (d date, t timestamptz, i interval, m money);
INSERT INTO stamps VALUES ('2026-01-02', '2026-01-02 03:04:05+00', '1 day', 1.5);
SELECT stores AS s0 FROM cognomega.cache_stats \gset
SELECT cognomega.cached_query('SELECT d, t, i, m FROM stamps') IS NOT NULL AS ran;
SELECT stores - :s0 AS stored FROM cognomega.cache_stats;

-- cleanup
RESET search_path;
DROP SCHEMA cache_rvc CASCADE;
DROP SCHEMA cache_rvc_front CASCADE;
