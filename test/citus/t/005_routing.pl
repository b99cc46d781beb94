# Routed calls carry the caller's output settings (src/routing.c): under a
# session's TimeZone and DateStyle, every way of calling a query function on
# every node answers as the call on the node holding the key does; the
# routed twins check EXECUTE on the public function and their settings
# argument; the holder caches per settings; a transaction's own write is
# seen by its call.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use CitusCluster;

sub sqlstate
{
	my ($node, $sql) = @_;
	my ($rc, $out, $err) = $node->psql('postgres', "\\set VERBOSITY verbose\n$sql");
	note $err;
	return $err =~ /ERROR:  ([0-9A-Z]{5}):/ ? $1 : '';
}

my ($coord, @workers) = CitusCluster::start('route');
my @nodes = ($coord, @workers);
$coord->safe_psql('postgres', q{
SELECT count(*) FROM cognomega.setup();
INSERT INTO users (id, email, created_at)
SELECT ('00000000-0000-0000-0000-' || lpad(i::text, 12, '0'))::uuid, 'u' || i || '@x',
	   '2026-03-01 12:00:00+00'
  FROM generate_series(1, 6) i;
INSERT INTO generated_apps (user_id, title, created_at)
SELECT id, 'app', '2026-01-01 00:00:00+00' FROM users;
INSERT INTO ai_agents (id, user_id, name, type, status, created_at)
SELECT ('10000000-0000-0000-0000-' || lpad(i::text, 12, '0'))::uuid,
	   ('00000000-0000-0000-0000-' || lpad(i::text, 12, '0'))::uuid, 'ag', 'chat', 'active',
	   '2026-02-01 00:00:00+00'
  FROM generate_series(1, 6) i;
INSERT INTO ai_agent_tasks (agent_id, status) SELECT id, 'pending' FROM ai_agents;
INSERT INTO ai_agent_analytics (agent_id, period, created_at)
SELECT id, 'day', '2026-01-01 00:00:00+00' FROM ai_agents;
SELECT count(*) FROM cognomega.distribute(4);
});

my $S = q{SET TimeZone = 'Asia/Tokyo'; SET DateStyle = 'SQL, DMY'; SET extra_float_digits = 0;};
my $user = sub { sprintf('00000000-0000-0000-0000-%012d', $_[0]) };
my $agent = sub { sprintf('10000000-0000-0000-0000-%012d', $_[0]) };
my %call = (
	user_with_apps => sub { "cognomega.user_with_apps('" . $user->($_[0]) . "')" },
	user_agents_overview => sub { "cognomega.user_agents_overview('" . $user->($_[0]) . "')" },
	agent_analytics => sub { "cognomega.agent_analytics('" . $agent->($_[0]) . "', 'day')" },
);
my %table = (user_with_apps => 'users', user_agents_overview => 'users', agent_analytics => 'ai_agent_analytics');
my $holder = sub {
	my ($f, $i) = @_;
	my $key = $f eq 'agent_analytics' ? $agent->($i) : $user->($i);
	my $port = $coord->safe_psql('postgres', qq{
SELECT n.nodeport FROM pg_dist_placement p JOIN pg_dist_node n USING (groupid)
 WHERE p.shardid = get_shard_id_for_distribution_column('$table{$f}', '$key'::uuid)});
	my ($h) = grep { $_->port == $port } @workers;
	return $h;
};

for my $f (sort keys %call)
{
	for my $i (1, 2)
	{
		my $c = $call{$f}->($i);
		my $h = $holder->($f, $i);
		my $want = $h->safe_psql('postgres', "$S SELECT $c");
		like($want, qr/\+09:00/, "$f($i) on its holder: rendered in the session's zone");
		for my $n (@nodes)
		{
			my $where = $n->name . ($n == $h ? ' (holder)' : '');
			is($n->safe_psql('postgres', "$S SELECT $c"), $want, "$f($i) on $where: routed call");
			(my $from = $c) =~ s/^cognomega\.(\w+)\((.*)\)$/* FROM cognomega.$1($2)/;
			is($n->safe_psql('postgres', "$S SELECT $from"), $want, "$f($i) on $where: in FROM");
			(my $prep = $c) =~ s/'([0-9a-f-]{36})'/\$1/;
			my $key = $c =~ /'([0-9a-f-]{36})'/ ? $1 : '';
			is($n->safe_psql('postgres', "$S PREPARE p(uuid) AS SELECT $prep;"
				  . join('', map { "EXECUTE p('$key');" } 1 .. 7)),
				join("\n", ($want) x 7), "$f($i) on $where: prepared, 7 executions");
			is($n->safe_psql('postgres', "$S BEGIN; SELECT $c; COMMIT;"), $want,
				"$f($i) on $where: in a transaction block");
			(my $rows = $c) =~ s/'([0-9a-f-]{36})'/k/;
			is($n->safe_psql('postgres', "$S SELECT string_agg(${rows}::text, ',') FROM "
				  . "(SELECT ('$key'::uuid) k FROM generate_series(1, 2)) x"),
				"$want,$want", "$f($i) on $where: a call per row");
		}
	}
}

# the holder caches per settings: a routed call under the session's zone
# and one in the default zone are two entries, each hit afterwards
my $h1 = $holder->('user_with_apps', 3);
my $c3 = $call{user_with_apps}->(3);
my $hits = sub { $h1->safe_psql('postgres', 'SELECT hits FROM cognomega.cache_stats') };
my $before = $hits->();
my $tokyo = $coord->safe_psql('postgres', "$S SELECT $c3");
my $utc = $coord->safe_psql('postgres', "SET TimeZone = 'UTC'; SELECT $c3");
isnt($tokyo, $utc, 'two zones, two answers');
is($coord->safe_psql('postgres', "$S SELECT $c3"), $tokyo, 'the zone\'s entry again');
is($coord->safe_psql('postgres', "SET TimeZone = 'UTC'; SELECT $c3"), $utc, 'the other zone\'s entry again');
is($hits->() - $before, 2, 'the holder served both from its cache');

# a transaction sees its own write, through the twin, on every node
for my $n (@nodes)
{
	my $email = 'new-' . $n->name;
	is($n->safe_psql('postgres', qq{$S BEGIN;
UPDATE users SET email = '$email' WHERE id = '@{[$user->(3)]}';
SELECT ${c3}::jsonb #>> '{user,email}'; COMMIT;}), $email, 'own write seen in its transaction on ' . $n->name);
	is($_->safe_psql('postgres', "$S SELECT ${c3}::jsonb #>> '{user,email}'"), $email,
		'then committed: fresh on ' . $_->name) for @nodes;
}

# EXECUTE on the public function is what counts, through the twin too
$coord->safe_psql('postgres', q{
CREATE ROLE route_app LOGIN;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO route_app;
REVOKE EXECUTE ON FUNCTION cognomega.user_with_apps(uuid) FROM PUBLIC;
});
my $as = "SET ROLE route_app; $S";
for my $n (@nodes)
{
	is(sqlstate($n, "$as SELECT $c3"), '42501', 'no EXECUTE: refused, routed, on ' . $n->name);
	is(sqlstate($n, "$as BEGIN; SELECT $c3; COMMIT;"), '42501', 'no EXECUTE: refused in a transaction on ' . $n->name);
	is(sqlstate($n, "$as SELECT cognomega._user_with_apps_routed('@{[$user->(3)]}', "
		  . q{ARRAY['UTC', 'ISO, MDY', 'postgres', '1', 'hex', 'C'])}), '42501',
		'no EXECUTE: the twin refuses too on ' . $n->name);
	is(sqlstate($n, "$as SELECT " . $call{user_agents_overview}->(3)), '', 'another function still runs on ' . $n->name);
}
$coord->safe_psql('postgres', 'GRANT EXECUTE ON FUNCTION cognomega.user_with_apps(uuid) TO PUBLIC');

# the settings argument
my $twin = "SELECT cognomega._user_with_apps_routed('@{[$user->(3)]}', ";
is(sqlstate($coord, "$twin ARRAY['UTC'])"), '22023', 'too few settings: 22023');
is(sqlstate($coord, "$twin ARRAY['UTC', NULL, 'postgres', '1', 'hex', 'C'])"), '22004', 'a null setting: 22004');
is(sqlstate($coord, "$twin ARRAY['Mars/Olympus', 'ISO, MDY', 'postgres', '1', 'hex', 'C'])"), '22023',
	'an unknown zone: 22023');
my $now = $coord->safe_psql('postgres', "$S SELECT $c3");
is($coord->safe_psql('postgres', "SET TimeZone = 'UTC'; $twin ARRAY['Asia/Tokyo', 'SQL, DMY', 'postgres', '0', 'hex', 'C']); SHOW TimeZone"),
	"$now\nUTC", 'the settings apply to the call only');

done_testing();
