# A failover behind a cascading standby: the cascading standby (setting on)
# follows a standby with the setting off that was made before the primary
# turned it on, so it has no cognomega_replica_invalidation file and,
# promoted, logs neither records nor OFF.  Its commits reach the cascading
# standby on a new timeline; the cascading standby must stop serving there
# (it served stale entries before the fix: found by a review).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $primary = PostgreSQL::Test::Cluster->new('failover_primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'cognomega'
cognomega.databases = ''
cognomega.replica_invalidation = off
});
$primary->start;
$primary->safe_psql('postgres', q{
CREATE EXTENSION cognomega;
CREATE TABLE t (id int PRIMARY KEY, v int);
INSERT INTO t SELECT g, 0 FROM generate_series(1, 10) g;
});

# a standby made while the primary does not log: setting off, no marker
$primary->backup('before_on');
my $mid = PostgreSQL::Test::Cluster->new('failover_mid');
$mid->init_from_backup($primary, 'before_on', has_streaming => 1);
$mid->start;
ok(!-e $mid->data_dir . '/cognomega_replica_invalidation',
	'the intermediate standby has no marker');

# a cascading standby that serves (setting on)
$mid->backup('from_mid');
my $leaf = PostgreSQL::Test::Cluster->new('failover_leaf');
$leaf->init_from_backup($mid, 'from_mid', has_streaming => 1);
$leaf->append_conf('postgresql.conf', 'cognomega.replica_invalidation = on');
$leaf->start;

# the primary turns the setting on (README: standbys first, then the primary)
$primary->append_conf('postgresql.conf', 'cognomega.replica_invalidation = on');
$primary->restart;
$primary->safe_psql('postgres', 'UPDATE t SET v = v + 1 WHERE id = 1');
$primary->wait_for_catchup($mid);
$mid->wait_for_catchup($leaf, 'replay', $primary->lsn('insert'));

my $q = q{SELECT cognomega.cached_query('SELECT sum(v) AS s FROM t')->0->>'s'};
$leaf->poll_query_until('postgres',
	qq{SELECT ($q) IS NOT NULL AND (SELECT hits > 0 FROM cognomega.cache_stats)})
  or die 'the cascading standby never serves';
is($leaf->safe_psql('postgres', $q), '1', 'cascading standby: served');

# failover: the intermediate standby (setting off) is promoted and written to
$mid->promote;
$mid->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()')
	or die 'no promotion';
$mid->safe_psql('postgres', 'UPDATE t SET v = v + 100 WHERE id = 2');
$mid->wait_for_catchup($leaf, 'replay', $mid->lsn('insert'));

my $plain = $leaf->safe_psql('postgres', 'SELECT sum(v) FROM t');
is($plain, '101', 'cascading standby: replayed the new primary\'s write');
is($leaf->safe_psql('postgres', $q), $plain,
	'cascading standby: the cached answer is not older than the plain one');

$leaf->stop;
$mid->stop;
$primary->stop;
done_testing();
