-- the large user (500 apps) by the hand-written LEFT JOIN, a row per app
SELECT u.*, a.id AS app_id, a.title, a.status, a.created_at AS app_created_at
  FROM users u LEFT JOIN generated_apps a ON a.user_id = u.id
 WHERE u.id = lpad('0', 32, '0')::uuid
 ORDER BY a.created_at DESC, a.id;
