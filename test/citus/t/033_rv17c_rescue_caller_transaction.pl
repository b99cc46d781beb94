# rv17c (adversarial review, issue 17), probe: what the Citus
# default-partition rescue (pm_move_rows_citus, sequential mode set by
# pm_check_citus_coordinator) does to the caller's transaction:
# - the hint of its 25001 works: SET LOCAL citus.multi_shard_modify_mode =
#   'sequential' first, then a multi-shard SELECT, then partition_data moves;
# - after a 25001 under a savepoint the transaction goes on and commits,
#   the rows intact;
# - with nothing to move after a parallel multi-shard query: 0, no error;
# - after a move, the caller's own multi-shard reads and writes in the same
#   transaction work and see the rows once; the mode does not outlive the
#   transaction.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use CitusCluster;

my ($coord, @workers) = CitusCluster::start('rv17c_resc');
my $fill = q{INSERT INTO ai_agent_analytics (agent_id, period, created_at)
SELECT gen_random_uuid(), 'day', '2031-06-15'::timestamptz + i * interval '1 minute' FROM generate_series(1, 20) i;};
$coord->safe_psql('postgres', q{
SELECT count(*) FROM cognomega.setup();
SELECT count(*) FROM cognomega.distribute(4);
} . $fill);

sub run
{
	my ($sql) = @_;
	my ($rc, $out, $err) = $coord->psql('postgres', "\\set VERBOSITY verbose\n$sql", on_error_stop => 0);
	note "rc=$rc\nout=$out\nerr=$err";
	return ($out, $err);
}

# the hint
my ($out, $err) = run(q{BEGIN;
SET LOCAL citus.multi_shard_modify_mode = 'sequential';
SELECT count(*) FROM ai_agent_analytics;
SELECT cognomega.partition_data('ai_agent_analytics');
COMMIT;});
is($err, '', 'the hint\'s way: no error');
is((split /\n/, $out)[1], '20', 'the hint\'s way: 20 rows moved');
is($coord->safe_psql('postgres', 'SELECT count(*) FROM ai_agent_analytics_default'), '0', 'the default is empty');

# nothing to move after a parallel query
($out, $err) = run(q{BEGIN;
SELECT count(*) FROM ai_agent_analytics;
SELECT cognomega.partition_data('ai_agent_analytics');
COMMIT;});
is($err, '', 'nothing to move after a parallel multi-shard query: no error');
is((split /\n/, $out)[1], '0', 'nothing to move: 0');

# a 25001 under a savepoint
$coord->safe_psql('postgres', $fill =~ s/2031-06-15/2031-09-15/r);
($out, $err) = run(q{BEGIN;
SELECT count(*) FROM ai_agent_analytics;
SAVEPOINT s;
SELECT cognomega.partition_data('ai_agent_analytics');
ROLLBACK TO SAVEPOINT s;
SELECT count(*) FROM ai_agent_analytics;
UPDATE ai_agent_analytics SET period = 'day';
COMMIT;});
like($err, qr/ERROR:  25001/, 'under a savepoint: 25001');
unlike($err, qr/ERROR:  (?!25001)/, 'no other error: the transaction goes on');
is($coord->safe_psql('postgres', 'SELECT count(*) FROM ai_agent_analytics_default'), '20', 'the 20 rows stay in the default');

# a move, then the caller's multi-shard work in the same transaction
($out, $err) = run(q{BEGIN;
SELECT cognomega.partition_data('ai_agent_analytics');
SELECT count(*) FROM ai_agent_analytics;
UPDATE ai_agent_analytics SET period = 'week';
SELECT count(*) FROM ai_agent_analytics WHERE period = 'week';
COMMIT;
SHOW citus.multi_shard_modify_mode;});
is($err, '', 'move then multi-shard work: no error');
my @o = split /\n/, $out;
is($o[0], '20', '20 rows moved');
is($o[1], '40', 'the transaction counts 40 rows once');
is($o[2], '40', 'and updates them all');
is($o[-1], 'parallel', 'the mode does not outlive the transaction');
is($coord->safe_psql('postgres', "SELECT count(*), count(*) FILTER (WHERE tableoid = 'ai_agent_analytics_default'::regclass) FROM ai_agent_analytics"),
	'40|0', '40 rows, none in the default');
done_testing();
