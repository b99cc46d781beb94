-- Result cache: edge cases found in review.  Each section failed before
-- its fix.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cognomega;
RESET client_min_messages;

CREATE SCHEMA cache_edge;
SET search_path = cache_edge, public;

-- TRUNCATE of a plain inheritance parent empties its children too: entries
-- on a child are invalidated (ONLY leaves the children alone)
CREATE TABLE ip (x int);
CREATE TABLE ic () INHERITS (ip);
INSERT INTO ic VALUES (1);
SELECT cognomega.cache_put('edge:ic', '1', NULL, '{ic}');
TRUNCATE ONLY ip;
SELECT cognomega.cache_get('edge:ic') AS kept_after_truncate_only;
TRUNCATE ip;
SELECT cognomega.cache_get('edge:ic') AS after_truncate_parent;
