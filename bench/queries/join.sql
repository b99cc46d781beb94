-- the hand-written alternative: one LEFT JOIN returning a row per app
\set n random(1, :users)
SELECT u.*, a.id AS app_id, a.title, a.status, a.created_at AS app_created_at
  FROM users u LEFT JOIN generated_apps a ON a.user_id = u.id
 WHERE u.id = lpad(to_hex(:n::int), 32, '0')::uuid
 ORDER BY a.created_at DESC, a.id;
