-- the ceiling: one typical document, folded into the plan as a constant, so
-- the statement does nothing but send that json (no lookup, no copy)
\set n random(1, :users)
SELECT bench_constant_doc();
