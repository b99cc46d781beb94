-- cognomega 0.1 -> 0.2
\echo Use "ALTER EXTENSION cognomega UPDATE TO '0.2'" to load this file. \quit

-- 0.2 changes only the library: cache keys include lc_monetary, retention
-- runs apart from creating partitions ahead.  No SQL object changes.
