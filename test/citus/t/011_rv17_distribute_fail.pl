# rv17 (adversarial review, issue 17): distribute() failing midway leaves
# nothing half-distributed (coordinator and workers), with a SQLSTATE; then
# succeeds and is idempotent.
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

my ($coord, @workers) = CitusCluster::start('rv17f');
$coord->safe_psql('postgres', q{
SELECT count(*) FROM cognomega.setup();
INSERT INTO users (id, email) VALUES ('00000000-0000-0000-0000-000000000001', 'a@x');
CREATE FUNCTION rv17_noop() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
CREATE TRIGGER rv17_user_trigger BEFORE INSERT ON ai_agents FOR EACH ROW EXECUTE FUNCTION rv17_noop();
});
my $before = $coord->safe_psql('postgres', q{
SELECT string_agg(conrelid::regclass || ':' || conname || ':' || pg_get_constraintdef(oid), ',' ORDER BY 1)
FROM pg_constraint WHERE connamespace = 'public'::regnamespace});
my $trig_before = $coord->safe_psql('postgres', q{SELECT count(*) FROM pg_trigger WHERE tgname = 'cognomega_cache_keys'});

my $st = sqlstate($coord, 'SELECT * FROM cognomega.distribute(4)');
isnt($st, '', "a failing step raises an error ($st)");
isnt($st, 'XX000', 'not XX000');
is($coord->safe_psql('postgres', 'SELECT count(*) FROM pg_dist_partition'), '0', 'coordinator: nothing distributed');
is($coord->safe_psql('postgres', q{
SELECT string_agg(conrelid::regclass || ':' || conname || ':' || pg_get_constraintdef(oid), ',' ORDER BY 1)
FROM pg_constraint WHERE connamespace = 'public'::regnamespace}), $before, 'constraints unchanged');
is($coord->safe_psql('postgres', q{SELECT count(*) FROM pg_trigger WHERE tgname = 'cognomega_cache_keys'}),
	$trig_before, 'cache key triggers unchanged');
for my $w (@workers)
{
	is($w->safe_psql('postgres', 'SELECT count(*) FROM pg_dist_partition'), '0', 'worker: no metadata');
	is($w->safe_psql('postgres', q{SELECT count(*) FROM pg_class WHERE relname ~ '^(users|generated_apps)_[0-9]+$'}),
		'0', 'worker: no shards left');
	is($w->safe_psql('postgres', 'SELECT count(*) FROM cognomega.setup_config'), '0', 'worker: setup_config untouched');
}
is($coord->safe_psql('postgres', 'SELECT count(*) FROM users'), '1', 'the rows are still there');

$coord->safe_psql('postgres', 'DROP TRIGGER rv17_user_trigger ON ai_agents');
my $lines = $coord->safe_psql('postgres', 'SELECT * FROM cognomega.distribute(4)');
like($lines, qr/distributed/, 'then it succeeds');
is($coord->safe_psql('postgres', 'SELECT count(*) FROM users'), '1', 'rows moved');
is($coord->safe_psql('postgres', 'SELECT count(*) FROM cognomega.distribute(4)'), '0', 'idempotent');
# a different shard_count on the second call: says nothing, changes nothing
is($coord->safe_psql('postgres', 'SELECT count(*) FROM cognomega.distribute(8)'), '0', 'idempotent (another shard_count)');
# a table undistributed afterwards: distribute() again redoes it
$coord->safe_psql('postgres', q{SELECT undistribute_table('ai_agent_analytics')});
$lines = $coord->safe_psql('postgres', 'SELECT * FROM cognomega.distribute(4)');
like($lines, qr/ai_agent_analytics/, 'an undistributed table is distributed again');
done_testing();
