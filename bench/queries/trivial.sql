-- the floor: a round trip that does nothing
\set n random(1, :users)
SELECT :n::int;
