# The cache is never stale across Citus nodes: writers commit through the
# coordinator (single-shard, multi-shard with two-phase commit, reference
# table) and through a worker; readers on every node compare, in one
# REPEATABLE READ snapshot, each query function's answer (and cached_query's)
# with the plain query's.  A difference divides by zero: the reader's
# pgbench fails.  Bounded in time (COGNOMEGA_TORTURE_SECONDS, default 10);
# no timing decides the result.  The readers read one user (one shard
# group): a REPEATABLE READ transaction has one snapshot per worker
# connection, and Citus may read the shards of a multi-shard query over
# several connections, each with its own snapshot (no cluster-wide
# snapshot), so two multi-shard reads may differ without any cache.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use IPC::Run;
use Test::More;
use CitusCluster;

my ($coord, @workers) = CitusCluster::start('tort', "cognomega.cache_size = '8MB'");
$coord->safe_psql('postgres', q{
SELECT count(*) FROM cognomega.setup();
INSERT INTO users (id, email)
	SELECT ('00000000-0000-0000-0000-' || lpad(i::text, 12, '0'))::uuid, 'u' || i || '@x'
	FROM generate_series(1, 8) i;
INSERT INTO generated_apps (user_id, title, created_at)
	SELECT id, 'first', '2026-01-01' FROM users;
INSERT INTO ai_agents (id, user_id, name, type)
	SELECT ('10000000-0000-0000-0000-' || lpad(i::text, 12, '0'))::uuid,
		   ('00000000-0000-0000-0000-' || lpad(i::text, 12, '0'))::uuid, 'a' || i, 'chat'
	FROM generate_series(1, 8) i;
INSERT INTO ai_agent_tasks (agent_id, status) SELECT id, 'pending' FROM ai_agents, generate_series(1, 3);
SELECT count(*) FROM cognomega.distribute(8);
});

my $seconds = $ENV{COGNOMEGA_TORTURE_SECONDS} || 10;
my $dir = PostgreSQL::Test::Utils::tempdir;
my $uid = q{('00000000-0000-0000-0000-' || lpad(:i::text, 12, '0'))::uuid};

# the plain queries, as the functions write them (src/queries.c)
my $plain_user = qq{(SELECT pg_catalog.to_json(r)::text FROM users u
	CROSS JOIN LATERAL (SELECT u AS "user", ARRAY(SELECT x FROM (SELECT a.id, a.title, a.status, a.created_at
		FROM generated_apps a WHERE a.user_id = u.id AND a.user_id = $uid
		ORDER BY a.created_at DESC NULLS LAST, a.id) x) AS apps) r WHERE u.id = $uid)};
my $plain_overview = qq{(SELECT pg_catalog.to_json(r)::text FROM users u
	CROSS JOIN LATERAL (SELECT u.id AS user_id, ARRAY(SELECT x FROM (SELECT g.id, g.name, g.type, g.status,
		g.created_at, c.pending, c.in_progress FROM ai_agents g CROSS JOIN LATERAL (SELECT
		count(*) FILTER (WHERE t.status = 'pending') AS pending,
		count(*) FILTER (WHERE t.status = 'in_progress') AS in_progress
		FROM ai_agent_tasks t WHERE t.agent_id = g.id AND t.status = ANY ('{pending,in_progress}')) c
		WHERE g.user_id = u.id AND g.user_id = $uid AND g.status = 'active'
		ORDER BY g.created_at DESC NULLS LAST, g.id) x) AS agents) r WHERE u.id = $uid)};

my %scripts = (
	# one user's row and apps, in one transaction
	writer => qq{
\\set i random(1, 8)
\\set v random(1, 1000000)
BEGIN;
UPDATE users SET subscription_tier = 't' || :v WHERE id = $uid;
INSERT INTO generated_apps (user_id, title, created_at) VALUES ($uid, 'a' || :v, now());
COMMIT;
DELETE FROM generated_apps WHERE user_id = $uid AND title <> 'first'
	AND id NOT IN (SELECT id FROM generated_apps WHERE user_id = $uid ORDER BY created_at DESC LIMIT 2);
},
	# every shard on both workers: a two-phase commit
	multi => q{
UPDATE users SET is_active = NOT is_active;
},
	# the reference table: written on every node
	tasks => qq{
\\set i random(1, 8)
UPDATE ai_agent_tasks SET status = CASE status WHEN 'pending' THEN 'in_progress' ELSE 'pending' END
	WHERE agent_id = ('10000000-0000-0000-0000-' || lpad(:i::text, 12, '0'))::uuid
	AND ctid = (SELECT min(ctid) FROM ai_agent_tasks WHERE agent_id = ('10000000-0000-0000-0000-' || lpad(:i::text, 12, '0'))::uuid);
},
	reader => qq{
\\set i random(1, 8)
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT cognomega.user_with_apps($uid)::text AS doc \\gset
SELECT 1 / ($plain_user IS NOT DISTINCT FROM :doc)::int AS user_with_apps_fresh;
SELECT cognomega.user_agents_overview($uid)::text AS ov \\gset
SELECT 1 / ($plain_overview IS NOT DISTINCT FROM :ov)::int AS user_agents_overview_fresh;
SELECT cognomega.cached_query(format('SELECT id, subscription_tier, is_active FROM users WHERE id = %L', $uid))::text AS cq \\gset
SELECT 1 / ((SELECT json_agg(x)::jsonb FROM (SELECT id, subscription_tier, is_active FROM users WHERE id = $uid) x)
	= (:cq)::jsonb)::int AS cached_query_fresh;
END;
},);
for my $name (keys %scripts)
{
	open my $fh, '>', "$dir/$name.sql" or die;
	print $fh $scripts{$name};
	close $fh;
}

# pgbench on a node, in the background
my @runs;
sub bench
{
	my ($node, $label, $clients, @files) = @_;
	my ($out, $err) = ('', '');
	my $h = IPC::Run::start(
		[ 'pgbench', '--no-vacuum', '--protocol=extended', "--client=$clients", '--jobs=1',
		  "--time=$seconds", '--max-tries=20', '-h', $node->host, '-p', $node->port,
		  (map { ('-f', "$dir/$_.sql") } @files), 'postgres' ],
		'>', \$out, '2>', \$err);
	push @runs, [ $label, $h, \$out, \$err ];
}

for my $n ($coord, @workers)
{
	$n->safe_psql('postgres', 'SELECT cognomega.cache_reset_stats()');
}
bench($coord, 'writers through the coordinator', 2, 'writer', 'tasks');
bench($coord, 'multi-shard writer (2PC)', 1, 'multi');
bench($workers[0], 'writers through worker 1', 2, 'writer', 'tasks');
bench($coord, 'readers on the coordinator', 2, 'reader');
bench($workers[0], 'readers on worker 1', 2, 'reader');
bench($workers[1], 'readers on worker 2', 2, 'reader');

for my $r (@runs)
{
	my ($label, $h, $out, $err) = @$r;
	my $ok = $h->finish;
	my ($done) = $$out =~ /number of transactions actually processed: (\d+)/;
	ok($ok && ($done // 0) > 0, "$label: ran without an error (" . ($done // 0) . ' transactions)')
		or diag "stdout: $$out\nstderr: $$err";
	unlike($$err, qr/division by zero/, "$label: no stale answer");
}

# what the nodes' caches did (the documents bypass it on Citus tables)
for my $n ($coord, @workers)
{
	note $n->name . ': ' . $n->safe_psql('postgres',
		'SELECT format($$hits %s, misses %s, stores %s$$, hits, misses, stores) FROM cognomega.cache_stats');
}

done_testing();
