# A pg_dump / pg_restore round trip of a database after cognomega.setup():
# the extension, the platform tables with their data and indexes, and the
# recorded app schema (a config-dump table) all come back, and setup()
# afterwards has nothing to do.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use CognomegaNode;
use Test::More;

my $node = CognomegaNode::preloaded('dump');

$node->safe_psql('postgres', 'CREATE DATABASE src');
$node->safe_psql('src', q{
CREATE EXTENSION cognomega;
CREATE SCHEMA app;
SELECT count(*) FROM cognomega.setup('app');
INSERT INTO app.users (email) SELECT 'u' || i || '@example.com' FROM generate_series(1, 20) i;
INSERT INTO app.generated_apps (user_id, title) SELECT id, 'app' FROM app.users;
INSERT INTO app.ai_agents (user_id, name) SELECT id, 'agent' FROM app.users;
INSERT INTO app.ai_agent_analytics (agent_id, period) SELECT id, 'daily' FROM app.ai_agents;
});

my $counts = q{SELECT (SELECT count(*) FROM app.users) || '/' ||
	(SELECT count(*) FROM app.generated_apps) || '/' ||
	(SELECT count(*) FROM app.ai_agent_analytics)};
is($node->safe_psql('src', $counts), '20/20/20', 'data before the dump');

my $dump = $node->basedir . '/src.dump';
$node->command_ok(
	[ 'pg_dump', '-Fc', '-f', $dump, '-d', $node->connstr('src') ],
	'pg_dump');
$node->safe_psql('postgres', 'CREATE DATABASE dst');
$node->command_ok(
	[ 'pg_restore', '--exit-on-error', '-d', $node->connstr('dst'), $dump ],
	'pg_restore');

is($node->safe_psql('dst', q{SELECT e.extversion = a.default_version
		FROM pg_extension e JOIN pg_available_extensions a ON a.name = e.extname
		WHERE e.extname = 'cognomega'}),
	't', 'extension restored at the current version');
is($node->safe_psql('dst', $counts), '20/20/20', 'tables and data restored');
is($node->safe_psql('dst', 'SELECT cognomega.app_schema()'), 'app',
	'recorded app schema restored (config-dump table)');
is($node->safe_psql('dst',
		'SELECT count(*) FROM cognomega.index_status WHERE present AND valid'),
	'7', 'every recommended index restored');
# the cache key triggers are dumped with their tables (issue 12)
is($node->safe_psql('dst', q{SELECT string_agg(rel::text || '(' || col || ')', ' ' ORDER BY rel::text, position)
		FROM cognomega.cache_key_columns WHERE rel::text LIKE 'app.%'}),
	'app.ai_agent_analytics(agent_id) app.ai_agent_tasks(agent_id) app.ai_agents(user_id) app.ai_agents(id) '
	. 'app.generated_apps(user_id) app.payments(user_id) app.users(id) app.voice_commands(user_id)',
	'declared cache keys restored');
is($node->safe_psql('dst', 'SELECT count(*) FROM cognomega.setup(\'app\')'),
	'0', 'setup() after restore is a no-op');
is($node->safe_psql('dst', 'SELECT count(*) FROM cognomega.missing_index_ddl()'),
	'0', 'no index DDL missing after restore');
is($node->safe_psql('dst', q{SELECT count(*) FROM pg_depend d
	JOIN pg_class c ON d.classid = 'pg_class'::regclass AND d.objid = c.oid
	WHERE d.deptype = 'e' AND c.relnamespace = 'app'::regnamespace}),
	'0', 'restored platform tables are not extension members');

# a plain-format dump restored with psql gives the same
my $plain = $node->basedir . '/src.sql';
$node->command_ok(
	[ 'pg_dump', '-f', $plain, '-d', $node->connstr('src') ],
	'pg_dump plain');
$node->safe_psql('postgres', 'CREATE DATABASE dst2');
$node->command_ok(
	[ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', $plain, '-d', $node->connstr('dst2') ],
	'restore plain dump with psql');
is($node->safe_psql('dst2', $counts), '20/20/20', 'plain: data restored');
is($node->safe_psql('dst2', 'SELECT count(*) FROM cognomega.cache_key_columns'),
	'8', 'plain: declared cache keys restored');
is($node->safe_psql('dst2', 'SELECT count(*) FROM cognomega.setup(\'app\')'),
	'0', 'plain: setup() after restore is a no-op');

$node->stop;
done_testing();
