-- one call: the user and its apps as one document, served by the result cache
\set n random(1, :users)
SELECT cognomega.user_with_apps(lpad(to_hex(:n::int), 32, '0')::uuid);
