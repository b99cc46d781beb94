-- the large user (500 apps, ~75 kB document), served by the result cache
SELECT cognomega.user_with_apps(lpad('0', 32, '0')::uuid);
