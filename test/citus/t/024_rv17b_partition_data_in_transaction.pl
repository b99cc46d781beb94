# rv17b (adversarial review, issue 17): the default-partition rescue on a
# distributed parent, called in a transaction that has already read the
# parent (a multi-shard SELECT, the natural "how many rows are there?"
# before partition_data): the rescue needs Citus's sequential mode, which
# cannot be entered after a parallel query, so partition_data returns 0
# with a WARNING whose SQLSTATE is XX000 ("cannot distribute ... in
# sequential mode because a parallel query was executed in this
# transaction"): nothing moved and no error.  Issue 17 asks for the rows
# moved or a clear error, never silently nothing; HELPER/STYLE: never XX000.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use CitusCluster;

my ($coord, @workers) = CitusCluster::start('rv17b_pdtx');
$coord->safe_psql('postgres', q{
SELECT count(*) FROM cognomega.setup();
SELECT count(*) FROM cognomega.distribute(4);
INSERT INTO ai_agent_analytics (agent_id, period, created_at)
SELECT gen_random_uuid(), 'day', '2031-06-15'::timestamptz + i * interval '1 minute' FROM generate_series(1, 20) i;
});
is($coord->safe_psql('postgres', 'SELECT count(*) FROM ai_agent_analytics_default'), '20', '20 rows in the default');

my ($rc, $out, $err) = $coord->psql('postgres', q{\set VERBOSITY verbose
BEGIN;
SELECT count(*) FROM ai_agent_analytics;
SELECT cognomega.partition_data('ai_agent_analytics');
COMMIT;
SELECT count(*) FROM ai_agent_analytics_default;});
note "rc=$rc\nout=$out\nerr=$err";
my @out = split /\n/, $out;
unlike($err, qr/XX000/, 'no XX000 (internal error) reported');
ok($rc != 0 || $out[1] eq '20',
	'either partition_data fails with an error or it moves the 20 rows (it returned ' . ($out[1] // '?')
	  . ', the default still holds ' . ($out[-1] // '?') . ')');
like($err, qr/ERROR:  25001: rows of the Citus table "ai_agent_analytics" cannot be moved in this transaction/,
	'partition_data fails with 25001, naming the transaction');
like($err, qr/HINT:  Move them in a transaction of their own/, 'with a hint');
is($coord->safe_psql('postgres', 'SELECT count(*) FROM ai_agent_analytics_default'), '20', 'the 20 rows stay');
is($coord->safe_psql('postgres', q{BEGIN; SELECT cognomega.partition_data('ai_agent_analytics'); COMMIT;}), '20',
	'in a transaction of its own: 20 rows moved');
done_testing();
