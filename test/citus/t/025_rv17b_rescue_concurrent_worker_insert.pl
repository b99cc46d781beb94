# rv17b (adversarial review, issue 17), a passing probe: the
# default-partition rescue on a distributed parent (run_maintenance on the
# coordinator) while a transaction on a worker has inserted rows of the
# same slot into the default and not yet committed: the maintenance waits
# for it on the workers, the writer commits, and every row ends up exactly
# once, in the new partition (none lost, none duplicated, none left in the
# default under a covering partition).  Interleaving fixed with background
# sessions and lock waits, no sleeps.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use CitusCluster;

my ($coord, @workers) = CitusCluster::start('rv17b_rescue');
$coord->safe_psql('postgres', q{
SELECT count(*) FROM cognomega.setup();
SELECT count(*) FROM cognomega.distribute(4);
INSERT INTO ai_agent_analytics (agent_id, period, created_at)
SELECT gen_random_uuid(), 'day', '2031-06-15'::timestamptz + i * interval '1 minute' FROM generate_series(1, 20) i;
});

my $wb = $workers[0]->background_psql('postgres', on_error_stop => 0);
$wb->query_safe(q{BEGIN;
INSERT INTO ai_agent_analytics (agent_id, period, created_at)
SELECT gen_random_uuid(), 'day', '2031-06-20'::timestamptz + i * interval '1 minute' FROM generate_series(1, 10) i;});
my $cb = $coord->background_psql('postgres', on_error_stop => 0);
$cb->query_until(qr/started/, "\\echo started\nSELECT count(*) FROM cognomega.run_maintenance('ai_agent_analytics');\n\\echo maintenance-done\n");
my $lockwait = q{SELECT count(*) > 0 FROM pg_stat_activity WHERE wait_event_type = 'Lock'};
ok($workers[0]->poll_query_until('postgres', $lockwait) || $workers[1]->poll_query_until('postgres', $lockwait),
	'the maintenance waits for the uncommitted writer on a worker');
$wb->query_safe('COMMIT');
$cb->query_until(qr/maintenance-done/, '');
$wb->quit;
$cb->quit;

is($coord->safe_psql('postgres', q{SELECT count(*) FROM ai_agent_analytics WHERE created_at >= '2031-06-01'}), '30',
	'30 rows of the slot through the parent (pruned)');
is($coord->safe_psql('postgres', q{SELECT count(*) FROM ai_agent_analytics}), '30', '30 rows in all: none duplicated');
my $made = $coord->safe_psql('postgres', q{SELECT to_regclass('ai_agent_analytics_p20310601') IS NOT NULL});
note "the concurrent run " . ($made eq 't' ? 'moved the rows' : 'failed and moved nothing');
is($coord->safe_psql('postgres', $made eq 't'
	? q{SELECT count(*) FROM ONLY ai_agent_analytics_default}
	: q{SELECT count(*) - 30 FROM ONLY ai_agent_analytics_default}), '0',
	'after the concurrent run: all moved, or all still in the default');
$coord->safe_psql('postgres', q{SELECT count(*) FROM cognomega.run_maintenance('ai_agent_analytics')});
is($coord->safe_psql('postgres', q{SELECT count(*) FROM ONLY ai_agent_analytics_default}), '0', 'after the next run: none left in the default');
is($coord->safe_psql('postgres', q{SELECT count(*) FROM ai_agent_analytics_p20310601}), '30', 'all in the new partition');
is($coord->safe_psql('postgres', q{SELECT count(*) FROM pg_class WHERE relname LIKE '%rescue%'}), '0', 'no stash table left');
done_testing();
