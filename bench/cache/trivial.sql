\set k random(1, 1000)
SELECT :k::text AS v;
