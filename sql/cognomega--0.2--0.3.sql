-- cognomega 0.2 -> 0.3
\echo Use "ALTER EXTENSION cognomega UPDATE TO '0.3'" to load this file. \quit

-- Every change made to sql/src since 0.2 is repeated here, in the order of
-- sql/src; test/t/012_upgrade.pl checks that 0.2 + this script equals a
-- fresh 0.3.
