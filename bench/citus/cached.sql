\set k random(1, :nids)
SELECT id AS uid FROM bench_ids WHERE i = :k \gset
SELECT cognomega.user_with_apps(':uid');
