\set k random(1, 1000)
SELECT cognomega.cache_get('bench:' || :k);
