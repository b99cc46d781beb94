SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS cognomega; RESET client_min_messages;
-- DROP EXTENSION never drops the platform tables or their data; after
-- CREATE EXTENSION again, setup() only records the schema once more.
CREATE SCHEMA setup_keep;
SELECT count(*) > 0 AS did_something FROM cognomega.setup('setup_keep');
INSERT INTO setup_keep.users (email) VALUES ('keep@example.com');
INSERT INTO setup_keep.ai_agents (user_id, name) SELECT id, 'keeper' FROM setup_keep.users;
INSERT INTO setup_keep.ai_agent_analytics (agent_id, period) SELECT id, 'daily' FROM setup_keep.ai_agents;

DROP EXTENSION cognomega;
SELECT (SELECT count(*) FROM setup_keep.users) AS users,
       (SELECT count(*) FROM setup_keep.ai_agents) AS agents,
       (SELECT count(*) FROM setup_keep.ai_agent_analytics) AS analytics;
SELECT count(*) AS indexes_kept FROM pg_indexes WHERE schemaname = 'setup_keep';

CREATE EXTENSION cognomega;
SELECT cognomega.app_schema();
\echo :LAST_ERROR_SQLSTATE
-- (partition management, when installed, forgot the parent with the
-- extension: setup() makes it a managed parent again)
SELECT line FROM cognomega.setup('setup_keep') AS line WHERE line NOT LIKE 'partitioned %';
SELECT * FROM cognomega.setup('setup_keep');
SELECT count(*) FILTER (WHERE present AND valid) AS in_place FROM cognomega.index_status;
SELECT count(*) FROM setup_keep.users;
