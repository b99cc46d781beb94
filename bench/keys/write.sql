\set n random(1, 2000)
INSERT INTO generated_apps (user_id, title, status) VALUES (lpad(to_hex(:n::int), 32, '0')::uuid, 'new app', 'generating');
