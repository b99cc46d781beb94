-- the pattern the platform uses today: the user, then its apps (two round trips)
\set n random(1, :users)
SELECT * FROM users WHERE id = lpad(to_hex(:n::int), 32, '0')::uuid;
SELECT id, title, status, created_at FROM generated_apps
 WHERE user_id = lpad(to_hex(:n::int), 32, '0')::uuid ORDER BY created_at DESC, id;
