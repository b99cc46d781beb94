\set n random(1, 2000)
SELECT cognomega.user_with_apps(lpad(to_hex(:n::int), 32, '0')::uuid) IS NOT NULL;
