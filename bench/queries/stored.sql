-- the floor of returning this document: a precomputed copy read by primary key
\set n random(1, :users)
SELECT doc FROM bench_docs WHERE id = lpad(to_hex(:n::int), 32, '0')::uuid;
