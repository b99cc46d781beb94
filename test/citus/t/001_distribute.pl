# cognomega.distribute() on a coordinator and two workers: its errors (with
# their SQLSTATE), the layout it makes, idempotency, and the query functions
# answering the same on every node, routed to the node holding the key.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use CitusCluster;

# the SQLSTATE of the error a statement raises ('' when none)
sub sqlstate
{
	my ($node, $sql) = @_;
	my ($rc, $out, $err) = $node->psql('postgres', "\\set VERBOSITY verbose\n$sql");
	return $err =~ /ERROR:  ([0-9A-Z]{5}):/ ? $1 : '';
}

# without Citus: 0A000 with a hint
my $plain = PostgreSQL::Test::Cluster->new('plain');
$plain->init;
$plain->append_conf('postgresql.conf', "shared_preload_libraries = 'cognomega'\ncognomega.databases = ''\n");
$plain->start;
$plain->safe_psql('postgres', 'CREATE EXTENSION cognomega; SELECT count(*) FROM cognomega.setup()');
is(sqlstate($plain, 'SELECT cognomega.distribute()'), '0A000', 'no Citus: 0A000');
my ($rc, $out, $err) = $plain->psql('postgres', 'SELECT cognomega.distribute()');
like($err, qr/HINT:  .*CREATE EXTENSION citus/, 'no Citus: the hint says what to do');
$plain->stop;

my ($coord, @workers) = CitusCluster::start('dist');

# before setup(): 55000 (cognomega.app_schema's error)
is(sqlstate($coord, 'SELECT cognomega.distribute()'), '55000', 'before setup(): 55000');
$coord->safe_psql('postgres', 'SELECT count(*) FROM cognomega.setup()');
is(sqlstate($workers[0], 'SELECT cognomega.distribute()'), '55000', 'on a worker: 55000');
is(sqlstate($coord, 'SELECT cognomega.distribute(0)'), '22023', 'shard_count 0: 22023');

# data made before distributing moves into the shards
$coord->safe_psql('postgres', q{
INSERT INTO users (id, email)
	SELECT ('00000000-0000-0000-0000-' || lpad(i::text, 12, '0'))::uuid, 'u' || i || '@x'
	FROM generate_series(1, 20) i;
INSERT INTO generated_apps (user_id, title, status, created_at)
	SELECT u.id, 'app ' || g, CASE WHEN g % 2 = 0 THEN 'completed' ELSE 'generating' END,
		   '2026-01-01'::timestamptz + g * interval '1 hour'
	FROM users u, generate_series(1, 3) g;
INSERT INTO ai_agents (id, user_id, name, type, created_at)
	SELECT ('10000000-0000-0000-0000-' || lpad(i::text, 12, '0'))::uuid,
		   ('00000000-0000-0000-0000-' || lpad(i::text, 12, '0'))::uuid, 'agent ' || i, 'chat',
		   '2026-01-01'::timestamptz + i * interval '1 minute'
	FROM generate_series(1, 20) i;
INSERT INTO ai_agent_tasks (agent_id, status)
	SELECT a.id, CASE WHEN g % 3 = 0 THEN 'in_progress' ELSE 'pending' END
	FROM ai_agents a, generate_series(1, 4) g;
INSERT INTO ai_agent_analytics (agent_id, period, total_interactions, success_rate, created_at)
	SELECT a.id, 'day', g, 0.5, now() - g * interval '1 hour'
	FROM ai_agents a, generate_series(1, 3) g;
});

my $lines = $coord->safe_psql('postgres', 'SELECT * FROM cognomega.distribute(4)');
note $lines;
like($lines, qr/^distributed public\.users by id \(4 shards\)$/m, 'users distributed by id');
like($lines, qr/^distributed public\.generated_apps by user_id, colocated with public\.users$/m,
	'generated_apps colocated with users');
like($lines, qr/^changed the primary key of public\.generated_apps from PRIMARY KEY \(id\) to PRIMARY KEY \(user_id, id\)$/m,
	'primary key gains user_id');
like($lines, qr/^dropped constraint users_email_key on public\.users/m, 'email uniqueness dropped, said');
like($lines, qr/^made public\.ai_agent_tasks a reference table/m, 'tasks: reference table');
like($lines, qr/^distributed public\.ai_agent_analytics by agent_id \(4 shards, its own colocation group\)$/m,
	'analytics by agent');
like($lines, qr/^distributed function cognomega\.user_with_apps\(uuid\)/m, 'user_with_apps distributed');
unlike($lines, qr/ on worker /, 'nothing written on the workers (they read the Citus metadata)');
like($lines, qr/^made public\.cognomega_app_schema a reference table/m, 'the marker of the app schema');
is($workers[0]->safe_psql('postgres', 'SELECT cognomega.app_schema()'), 'public',
	'a worker knows the app schema');
is($coord->safe_psql('postgres', 'SELECT count(*) FROM cognomega.distribute()'), '0',
	'second call: no action');
unlike($coord->safe_psql('postgres', 'SELECT * FROM cognomega.setup()'), qr/cache key/,
	'setup() after distribute() declares no key trigger on Citus tables');
is($coord->safe_psql('postgres', q{SELECT count(*) FROM cognomega.cache_key_columns WHERE rel::text IN ('users', 'generated_apps')}),
	'0', 'no key triggers on the distributed tables');

is($coord->safe_psql('postgres', q{
SELECT string_agg(logicalrelid::text || ':' || partmethod::text || ':' || colocationid, ' ' ORDER BY logicalrelid::text)
FROM pg_dist_partition WHERE logicalrelid::text IN ('users', 'generated_apps', 'payments')
}) =~ /^generated_apps:h:(\d+) payments:h:\1 users:h:\1$/ ? 1 : 0, 1, 'users-keyed tables share a colocation group');
is($coord->safe_psql('postgres', q{
SELECT string_agg(objid::regprocedure::text || ' $' || (distribution_argument_index + 1), ', ' ORDER BY objid::regprocedure::text)
FROM pg_dist_object WHERE classid = 'pg_proc'::regclass AND distribution_argument_index IS NOT NULL}),
	'cognomega._agent_analytics_routed(uuid,text,text[]) $1, cognomega._user_agents_overview_routed(uuid,text[]) $1, '
	. 'cognomega._user_with_apps_routed(uuid,text[]) $1, '
	. 'cognomega.agent_analytics(uuid,text) $1, cognomega.user_agents_overview(uuid) $1, cognomega.user_with_apps(uuid) $1',
	'the keyed query functions and their routed twins are distributed functions');

is($coord->safe_psql('postgres', 'SELECT count(*) FROM users'), '20', 'rows moved to the shards');
is($coord->safe_psql('postgres', q{SELECT pg_relation_size('users')}), '0', 'none left on the coordinator');
like($lines, qr/^removed the local copy of public\.users's rows/m, 'the local copy removed, said');

# the same answers on every node, for every user and agent, and for a user
# and an agent that do not exist
my $answers = q{
SELECT string_agg(coalesce(cognomega.user_with_apps(u)::text, 'NULL') || '|' ||
				  coalesce(cognomega.user_agents_overview(u)::text, 'NULL') || '|' ||
				  coalesce(cognomega.agent_analytics(a, 'day')::text, 'NULL'), E'\n' ORDER BY i)
FROM (SELECT i, ('00000000-0000-0000-0000-' || lpad(i::text, 12, '0'))::uuid AS u,
			 ('10000000-0000-0000-0000-' || lpad(i::text, 12, '0'))::uuid AS a
	  FROM generate_series(1, 21) i) x
};
my $on_coord = $coord->safe_psql('postgres', $answers);
like($on_coord, qr/"apps":\[\{"id"/, 'documents have apps');
like((split /\n/, $on_coord)[20], qr/^NULL\|NULL\|NULL$/, 'absent user and agent: NULL');
for my $i (0, 1)
{
	is($workers[$i]->safe_psql('postgres', $answers), $on_coord, "worker $i answers as the coordinator");
}
# the ids as a constant: a subquery over a distributed table in the
# argument would make Citus push the whole call down to every shard
my $ids = $coord->safe_psql('postgres', 'SELECT array_agg(id ORDER BY id) FROM users');
my $batch = qq{SELECT string_agg(user_id::text || doc::text, E'\\n' ORDER BY user_id)
	FROM cognomega.users_with_apps('$ids')};
my $batch_coord = $coord->safe_psql('postgres', $batch);
is($workers[1]->safe_psql('postgres', $batch), $batch_coord, 'users_with_apps: the same on a worker');
is(scalar(split /\n/, $batch_coord), 20, 'users_with_apps: every user');

# a call through the coordinator runs on the worker holding the user
my ($rc2, $out2, $err2) = $coord->psql('postgres', q{
SET citus.log_remote_commands = on;
SET client_min_messages = notice;
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000007');
SELECT cognomega.agent_analytics('10000000-0000-0000-0000-000000000007', 'day');});
like($err2, qr/NOTICE:  issuing SELECT cognomega\._user_with_apps_routed\('00000000-0000-0000-0000-000000000007'/,
	'user_with_apps is delegated to the node holding the user');
like($err2, qr/NOTICE:  issuing SELECT cognomega\._agent_analytics_routed\('10000000-0000-0000-0000-000000000007'/,
	'agent_analytics is delegated to the node holding the agent');

# The cache on Citus (docs/cache.md): a document is cached only on the node
# holding its shards (there every write to them runs, and is seen);
# cached_query and cache_put never depend on Citus tables.
my $u7 = '00000000-0000-0000-0000-000000000007';
my $holder_port = $coord->safe_psql('postgres', qq{
SELECT n.nodeport FROM pg_dist_placement p JOIN pg_dist_node n USING (groupid)
WHERE p.shardid = get_shard_id_for_distribution_column('users', '$u7'::uuid)});
my ($holder) = grep { $_->port == $holder_port } @workers;
my ($other) = grep { $_->port != $holder_port } @workers;
for my $n ($coord, @workers)
{
	$n->safe_psql('postgres', 'SELECT cognomega.cache_clear(); SELECT cognomega.cache_reset_stats()');
	$n->safe_psql('postgres', qq{
BEGIN;	-- not delegated: each node runs the function itself
SELECT cognomega.user_with_apps('$u7');
SELECT cognomega.user_with_apps('$u7');
COMMIT;
SELECT cognomega.cached_query('SELECT count(*) FROM users');
SELECT cognomega.cached_query('SELECT count(*) FROM users');});
	is($n->safe_psql('postgres', q{SELECT stores || ' ' || hits FROM cognomega.cache_stats}),
		$n == $holder ? '1 1' : '0 0',
		$n->name . ($n == $holder ? ': the holder caches the document' : ': the cache bypassed'));
	is($n->safe_psql('postgres', q{SELECT cognomega.cache_put('k', '1', NULL, '{users}')}), 'f',
		$n->name . ': cache_put depending on a Citus table stores nothing');
}

# writes through each node reach the holder's cached document
my $tier = sub {
	$holder->safe_psql('postgres', qq{SELECT cognomega.user_with_apps('$u7')::jsonb #>> '{user,subscription_tier}'});
};
is($tier->(), 'free', 'holder: cached document');
$coord->safe_psql('postgres', qq{UPDATE users SET subscription_tier = 'via-coordinator' WHERE id = '$u7'});
is($tier->(), 'via-coordinator', 'holder: a write through the coordinator invalidates');
$tier->();
$other->safe_psql('postgres', qq{UPDATE users SET subscription_tier = 'via-worker' WHERE id = '$u7'});
is($tier->(), 'via-worker', 'holder: a write through the other worker invalidates');
$tier->();
$coord->safe_psql('postgres', q{UPDATE users SET subscription_tier = 'multi-shard'});
is($tier->(), 'multi-shard', 'holder: a multi-shard (2PC) write invalidates');
$tier->();
$holder->safe_psql('postgres', qq{BEGIN; UPDATE users SET subscription_tier = 'local' WHERE id = '$u7'; COMMIT;});
is($tier->(), 'local', 'holder: a write on the holder itself invalidates');
my $apps = sub {
	$holder->safe_psql('postgres', qq{SELECT json_array_length(cognomega.user_with_apps('$u7') -> 'apps')});
};
my $napps = $apps->();
$other->safe_psql('postgres', qq{INSERT INTO generated_apps (user_id, title) VALUES ('$u7', 'new')});
is($apps->(), $napps + 1, 'holder: an app inserted through the other worker appears');
$coord->safe_psql('postgres', qq{DELETE FROM generated_apps WHERE user_id = '$u7' AND title = 'new'});
is($apps->(), $napps, 'holder: an app deleted through the coordinator disappears');
my $ov = sub {
	$holder->safe_psql('postgres', qq{SELECT cognomega.user_agents_overview('$u7') #>> '{agents,0,pending}'});
};
my $pending = $ov->();
$other->safe_psql('postgres', q{INSERT INTO ai_agent_tasks (agent_id, status) VALUES ('10000000-0000-0000-0000-000000000007', 'pending')});
is($ov->(), $pending + 1, 'holder: a task added to the reference table through another node appears');
$coord->safe_psql('postgres', q{TRUNCATE ai_agent_tasks});
is($ov->(), 0, 'holder: TRUNCATE through the coordinator invalidates');
ok($holder->safe_psql('postgres', 'SELECT hits FROM cognomega.cache_stats') > 1, 'holder: served hits meanwhile');

# the plain query gives the same document (the cache bypassed or not)
is($coord->safe_psql('postgres', q{
SELECT cognomega.user_with_apps('00000000-0000-0000-0000-000000000007')::jsonb =
	   (SELECT to_jsonb(r) FROM (SELECT to_jsonb(u) AS "user",
	     (SELECT coalesce(jsonb_agg(jsonb_build_object('id', a.id, 'title', a.title, 'status', a.status,
				'created_at', a.created_at) ORDER BY a.created_at DESC, a.id), '[]')
		  FROM generated_apps a WHERE a.user_id = u.id) AS apps
		FROM users u WHERE u.id = '00000000-0000-0000-0000-000000000007') r)}), 't',
	'user_with_apps equals the hand-written join');

# email is no longer unique across the cluster (documented)
$coord->safe_psql('postgres', q{INSERT INTO users (email) VALUES ('u1@x')});
is($coord->safe_psql('postgres', q{SELECT count(*) FROM users WHERE email = 'u1@x'}), '2',
	'users.email: uniqueness not enforced after distribute()');

done_testing();
