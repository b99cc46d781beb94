-- the same call, run with cognomega.cache_enabled = off (set through PGOPTIONS)
\set n random(1, :users)
SELECT cognomega.user_with_apps(lpad(to_hex(:n::int), 32, '0')::uuid);
