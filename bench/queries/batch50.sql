-- 50 users' documents in one call (users_with_apps), from the cache
\set n random(1, :users - 49)
SELECT user_id, doc FROM cognomega.users_with_apps(
    ARRAY(SELECT lpad(to_hex(g), 32, '0')::uuid FROM generate_series(:n::int, :n::int + 49) g));
