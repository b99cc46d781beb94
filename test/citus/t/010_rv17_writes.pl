# rv17 (adversarial review, issue 17): writes through every route, then the
# holder's cached answer must be fresh; an own uncommitted write rolled back
# must not be served; RLS on a distributed table is honoured on a worker.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use CitusCluster;

my ($coord, @workers) = CitusCluster::start('rv17w');
my $u = '00000000-0000-0000-0000-000000000007';
my $g = '10000000-0000-0000-0000-000000000007';
$coord->safe_psql('postgres', qq{
SELECT count(*) FROM cognomega.setup();
INSERT INTO users (id, email) VALUES ('$u', 'u7\@x');
INSERT INTO generated_apps (user_id, title) VALUES ('$u', 'first');
INSERT INTO ai_agents (id, user_id, name, type) VALUES ('$g', '$u', 'a7', 'chat');
INSERT INTO ai_agent_tasks (agent_id, status) SELECT '$g', 'pending' FROM generate_series(1, 3);
SELECT count(*) FROM cognomega.distribute(4);
});
my $shard = $coord->safe_psql('postgres', qq{SELECT get_shard_id_for_distribution_column('users', '$u'::uuid)});
my $holder_port = $coord->safe_psql('postgres', qq{
SELECT n.nodeport FROM pg_dist_placement p JOIN pg_dist_node n USING (groupid) WHERE p.shardid = $shard});
my ($a) = grep { $_->port == $holder_port } @workers;
my ($b) = grep { $_->port != $holder_port } @workers;

# run on node n itself (inside BEGIN: not delegated)
my $q = sub {
	my ($n, $expr) = @_;
	return $n->safe_psql('postgres', qq{BEGIN; SELECT $expr; COMMIT;});
};
my $tier = sub { $q->($_[0], qq{cognomega.user_with_apps('$u')::jsonb #>> '{user,subscription_tier}'}) };
my $napps = sub { $q->($_[0], qq{jsonb_array_length(cognomega.user_with_apps('$u')::jsonb -> 'apps')}) };
my $pending = sub { $q->($_[0], qq{cognomega.user_agents_overview('$u')::jsonb #>> '{agents,0,pending}'}) };
my $stats = sub { $_[0]->safe_psql('postgres', q{SELECT stores || ' ' || hits FROM cognomega.cache_stats}) };
my $warm = sub { my ($f) = @_; $f->($a); $f->($a); };

$warm->($tier);
is($stats->($a), '1 1', 'the holder caches and serves user_with_apps');

# 1. a single-shard UPDATE through the other worker
$b->safe_psql('postgres', qq{UPDATE users SET subscription_tier = 'via_b' WHERE id = '$u'});
is($tier->($a), 'via_b', 'update through a worker: fresh on the holder');
$tier->($a);

# 2. an own uncommitted multi-shard write on the holder, rolled back
my $inside = $a->safe_psql('postgres', qq{
BEGIN;
UPDATE users SET subscription_tier = 'rolled_back';
SELECT cognomega.user_with_apps('$u')::jsonb #>> '{user,subscription_tier}';
SELECT cognomega.user_with_apps('$u')::jsonb #>> '{user,subscription_tier}';
ROLLBACK;});
is($inside, "rolled_back\nrolled_back", 'own write seen inside the transaction');
is($tier->($a), 'via_b', 'after ROLLBACK the holder does not serve the rolled-back value');

# 2b. the same, the write on the coordinator-routed connection within the holder's session
#     with local execution off (a connection to itself)
$inside = $a->safe_psql('postgres', qq{
SET citus.enable_local_execution = off;
BEGIN;
UPDATE users SET subscription_tier = 'rolled_back2' WHERE id = '$u';
RESET citus.enable_local_execution;
SELECT cognomega.user_with_apps('$u')::jsonb #>> '{user,subscription_tier}';
ROLLBACK;});
is($tier->($a), 'via_b', 'after ROLLBACK (write over a connection to itself) no rolled-back value');

# 3. TRUNCATE of a distributed table through the coordinator, then through a worker
$warm->($napps);
$coord->safe_psql('postgres', q{TRUNCATE generated_apps});
is($napps->($a), '0', 'TRUNCATE through the coordinator: fresh on the holder');
$b->safe_psql('postgres', qq{INSERT INTO generated_apps (user_id, title) VALUES ('$u', 'again')});
is($napps->($a), '1', 'INSERT through a worker: fresh');
$napps->($a);
$b->safe_psql('postgres', q{TRUNCATE generated_apps});
is($napps->($a), '0', 'TRUNCATE through a worker: fresh on the holder');

# 4. INSERT ... SELECT pulled to the coordinator (COPY into the shards)
$napps->($a);
$coord->safe_psql('postgres', q{INSERT INTO generated_apps (user_id, title)
	SELECT user_id, 'pulled' FROM ai_agents ORDER BY id LIMIT 1});
is($napps->($a), '1', 'INSERT .. SELECT via the coordinator: fresh on the holder');
$napps->($a);
$b->safe_psql('postgres', q{INSERT INTO generated_apps (user_id, title)
	SELECT user_id, 'pulled_b' FROM ai_agents ORDER BY id LIMIT 1});
is($napps->($a), '2', 'INSERT .. SELECT via a worker: fresh on the holder');

# 5. the reference table, through the other worker and the coordinator
$warm->($pending);
$b->safe_psql('postgres', qq{UPDATE ai_agent_tasks SET status = 'done'
	WHERE ctid = (SELECT min(ctid) FROM ai_agent_tasks WHERE agent_id = '$g')});
is($pending->($a), '2', 'reference table write through a worker: fresh');
$pending->($a);
$b->safe_psql('postgres', q{TRUNCATE ai_agent_tasks});
is($pending->($a), '0', 'reference table TRUNCATE through a worker: fresh');
$pending->($a);
$coord->safe_psql('postgres', qq{INSERT INTO ai_agent_tasks (agent_id, status) VALUES ('$g', 'pending')});
is($pending->($a), '1', 'reference table INSERT through the coordinator: fresh');

# 6. DDL propagated by Citus that changes values
$warm->($tier);
$coord->safe_psql('postgres', q{ALTER TABLE users ALTER COLUMN subscription_tier TYPE text USING upper(subscription_tier)});
is($tier->($a), 'VIA_B', 'ALTER COLUMN TYPE USING through the coordinator: fresh');

# 7. RLS on a distributed table: a role that the policy hides the row from
$coord->safe_psql('postgres', q{
CREATE ROLE rv17r LOGIN;
GRANT USAGE ON SCHEMA cognomega TO rv17r;
GRANT SELECT ON users, generated_apps, ai_agents, ai_agent_tasks TO rv17r;
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
CREATE POLICY rv17_none ON users FOR SELECT TO rv17r USING (false);
});
$warm->($tier);
my $as_r = $a->safe_psql('postgres', qq{BEGIN; SET LOCAL ROLE rv17r;
SELECT coalesce(cognomega.user_with_apps('$u')::jsonb #>> '{user,subscription_tier}', '<none>'); COMMIT;});
is($as_r, '<none>', 'RLS: the hidden row is not served to the role on the holder');

done_testing();
