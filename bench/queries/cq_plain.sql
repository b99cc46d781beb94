-- the same 100 rows by the plain query
\set g random(0, 99)
SELECT id, grp, v, label FROM bench_items WHERE grp = :g ORDER BY id;
