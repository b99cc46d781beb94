-- Second adversarial review of partition maintenance and the jobs (issues
-- 19 and 21): a cancel inside run_job stops it as a statement.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cognomega;
RESET client_min_messages;
CREATE SCHEMA pm_rev2;
SET search_path = pm_rev2;
SET TimeZone = 'UTC';
\set VERBOSITY sqlstate

-- 1. statement_timeout during run_job('partition_maintenance'): an owner's
--    trigger sleeps while a row is moved out of the default.  The whole
--    statement is cancelled (57014), as run_maintenance is; it is not
--    recorded as one parent's failure while the loop goes on.
CREATE TABLE slow1 (id int, t timestamptz NOT NULL) PARTITION BY RANGE (t);
CREATE TABLE slow2 (id int, t timestamptz NOT NULL) PARTITION BY RANGE (t);
SELECT cognomega.create_parent('slow1', 't', '1 month', 2) > 0 AS created;
SELECT cognomega.create_parent('slow2', 't', '1 month', 2) > 0 AS created;
CREATE FUNCTION sleepy() RETURNS trigger LANGUAGE plpgsql AS
$$BEGIN PERFORM pg_sleep(60); RETURN OLD; END$$;
CREATE TRIGGER sleepy BEFORE DELETE ON slow1 FOR EACH ROW EXECUTE FUNCTION sleepy();
INSERT INTO slow1_default VALUES (1, now() + interval '2 years');
INSERT INTO slow2_default VALUES (1, now() + interval '2 years');
SET statement_timeout = '200ms';
SELECT cognomega.run_job('partition_maintenance');
RESET statement_timeout;
-- nothing of the cancelled statement is kept, slow2 included
SELECT count(*) AS slow2_in_default FROM ONLY slow2_default;
SELECT job, last_status FROM cognomega.job_status
 WHERE job = 'partition_maintenance' AND database = current_database();
DROP TRIGGER sleepy ON slow1;

DROP SCHEMA pm_rev2 CASCADE;
