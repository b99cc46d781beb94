\set k random(1, :nids)
SELECT id AS uid FROM bench_ids WHERE i = :k \gset
SELECT pg_catalog.to_json(r) FROM users u CROSS JOIN LATERAL (SELECT u AS "user", ARRAY(SELECT x FROM (SELECT a.id, a.title, a.status, a.created_at FROM generated_apps a WHERE a.user_id = u.id AND a.user_id = ':uid' ORDER BY a.created_at DESC NULLS LAST, a.id) x) AS apps) r WHERE u.id = ':uid';
