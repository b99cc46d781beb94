-- cognomega 0.1 -> 0.2
\echo Use "ALTER EXTENSION cognomega UPDATE TO '0.2'" to load this file. \quit

-- The rest of 0.2 is in the library (cache keys with lc_monetary, retention
-- as a step of its own, alerts, bad-input checks).

-- rate_between: the difference in double precision, so no counter pair
-- overflows bigint (22003)
CREATE OR REPLACE FUNCTION cognomega.rate_between(cur bigint, prev bigint, span interval)
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN cur >= prev AND span > '0'::interval
			THEN (cur::double precision - prev::double precision)
				 / pg_catalog.date_part('epoch', span)
	   END;
