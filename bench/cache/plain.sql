\set g random(1, 50)
SELECT count(*) AS n, sum(v) AS total, max(label) AS top FROM bench_items WHERE grp = :g;
