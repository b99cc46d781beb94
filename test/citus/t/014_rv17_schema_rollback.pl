# rv17 (adversarial review, issue 17): distribute() inside a transaction
# that rolls back leaves no trace on the workers; a platform in its own
# schema answers the same on every node.
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

my ($coord, @workers) = CitusCluster::start('rv17s');
my $u = '00000000-0000-0000-0000-000000000007';
$coord->safe_psql('postgres', qq{
CREATE SCHEMA app;
SELECT count(*) FROM cognomega.setup('app');
INSERT INTO app.users (id, email) VALUES ('$u', 'u7\@x');
INSERT INTO app.generated_apps (user_id, title) VALUES ('$u', 'first');
});
my $w0 = sqlstate($workers[0], qq{SELECT cognomega.user_with_apps('$u')});
is($w0, '55000', 'before distribute(): a worker says 55000');

my ($rc, $out, $err) = $coord->psql('postgres', qq{BEGIN; SELECT count(*) FROM cognomega.distribute(4); ROLLBACK;});
note "rc=$rc out=$out err=$err";
for my $w (@workers)
{
	is($w->safe_psql('postgres', 'SELECT count(*) FROM cognomega.setup_config'), '0',
		'after a rolled-back distribute(): nothing recorded on ' . $w->name);
	is(sqlstate($w, qq{SELECT cognomega.user_with_apps('$u')}), '55000',
		'after a rolled-back distribute(): the worker still says 55000');
}
is($coord->safe_psql('postgres', 'SELECT count(*) FROM pg_dist_partition'), '0', 'nothing distributed');

$coord->safe_psql('postgres', 'SELECT count(*) FROM cognomega.distribute(4)');
my $want = $coord->safe_psql('postgres', qq{SELECT cognomega.user_with_apps('$u')::jsonb #>> '{user,email}'});
is($want, 'u7@x', 'the coordinator answers');
for my $w (@workers)
{
	is($w->safe_psql('postgres', qq{BEGIN; SELECT cognomega.user_with_apps('$u')::jsonb #>> '{user,email}'; COMMIT;}),
		$want, 'same answer on ' . $w->name);
}
done_testing();
