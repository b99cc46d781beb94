# A writer terminated after it took its pending counts (PRE_COMMIT) but
# before it bumped the generations never leaves a count behind: here it
# waits for a synchronous standby that does not exist (the wait comes after
# PRE_COMMIT), is terminated with pg_terminate_backend, and afterwards the
# relation's entries are stored and served again.  The same for COMMIT
# PREPARED, which holds the database epoch pending.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('cache_terminate');
$node->init(allows_streaming => 1);	# sync rep needs wal senders
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'cognomega'
cognomega.databases = ''
cognomega.cache_size = '8MB'
max_prepared_transactions = 5
});
$node->start;
# the checking sessions do not wait for the standby
$node->safe_psql('postgres', q{
ALTER DATABASE postgres SET synchronous_commit = local;
CREATE EXTENSION cognomega;
CREATE TABLE w (id int);
ALTER SYSTEM SET synchronous_standby_names = 'nobody';
SELECT pg_reload_conf();
});
$node->poll_query_until('postgres', 'SHOW synchronous_standby_names', 'nobody')
  or die 'synchronous_standby_names not set';

my $put = q{SELECT cognomega.cache_put('w', '1', NULL, '{w}')};

# run SQL in the background until its commit waits for the standby; return
# the waiting backend's pid
sub start_waiting_writer
{
	my ($sql, $tag) = @_;
	my ($out, $err) = ('', '');
	my $h = IPC::Run::start(
		[ 'psql', '-X', '-q', '-d', $node->connstr('postgres'),
		  '-c', 'SET synchronous_commit = on', '-c', $sql ],
		'>', \$out, '2>', \$err);
	$node->poll_query_until('postgres', qq{
SELECT count(*) = 1 FROM pg_stat_activity
WHERE wait_event = 'SyncRep' AND query LIKE '%$tag%'})
	  or die "writer $tag does not wait: " . ($h->finish, $err)[1];
	my $pid = $node->safe_psql('postgres', qq{
SELECT pid FROM pg_stat_activity WHERE wait_event = 'SyncRep' AND query LIKE '%$tag%'});
	return ($h, $pid);
}

sub terminate
{
	my ($h, $pid) = @_;
	$node->safe_psql('postgres', "SELECT pg_terminate_backend($pid)");
	$h->finish;
	$node->poll_query_until('postgres',
		"SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = $pid")
	  or die "backend $pid did not exit";
}

is($node->safe_psql('postgres', $put), 't', 'stored before the write');
my ($h, $pid) = start_waiting_writer('INSERT INTO w VALUES (1) /* w1 */', 'w1');
is($node->safe_psql('postgres', "$put; SELECT cognomega.cache_get('w')"),
	"f\n", 'a commit in flight: nothing stored, nothing served');
terminate($h, $pid);
is($node->safe_psql('postgres', "$put; SELECT cognomega.cache_get('w')"),
	"t\n1", 'after the writer was terminated: stored and served again');

$node->safe_psql('postgres', q{
BEGIN; INSERT INTO w VALUES (2); PREPARE TRANSACTION 'tw';});
($h, $pid) = start_waiting_writer(q{COMMIT PREPARED 'tw' /* w2 */}, 'w2');
is($node->safe_psql('postgres', "$put; SELECT cognomega.cache_get('w')"),
	"f\n", 'COMMIT PREPARED in flight: nothing stored, nothing served');
terminate($h, $pid);
is($node->safe_psql('postgres', "$put; SELECT cognomega.cache_get('w')"),
	"t\n1", 'after COMMIT PREPARED was terminated: stored and served again');
is($node->safe_psql('postgres', 'SELECT count(*) FROM w'), '2',
	'both writes committed');

$node->stop;
done_testing();
