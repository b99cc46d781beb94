-- cached_query hit: a 100-row result (one of 100 queries), as json
\set g random(0, 99)
SELECT cognomega.cached_query('SELECT id, grp, v, label FROM bench_items WHERE grp = ' || :g || ' ORDER BY id');
