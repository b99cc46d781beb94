# A hot standby bypasses the cache (replay passes through none of the hooks
# that invalidate); a transaction prepared before a restart, whose write set
# no backend remembers, still invalidates on COMMIT PREPARED.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $primary = PostgreSQL::Test::Cluster->new('cache_primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'cognomega'
cognomega.databases = ''
max_prepared_transactions = 5
});
$primary->start;
$primary->safe_psql('postgres', q{
CREATE EXTENSION cognomega;
CREATE TABLE s (id int PRIMARY KEY, v text);
INSERT INTO s VALUES (1, 'before');
});

# --- standby: bypassed
$primary->backup('b');
my $standby = PostgreSQL::Test::Cluster->new('cache_standby');
$standby->init_from_backup($primary, 'b', has_streaming => 1);
$standby->append_conf('postgresql.conf', 'max_prepared_transactions = 5');
$standby->start;
$primary->wait_for_catchup($standby);

is($standby->safe_psql('postgres', q{
SELECT cognomega.cache_put('k', '1');
SELECT cognomega.cache_get('k') IS NULL;
SELECT cognomega.cached_query('SELECT v FROM s');
SELECT cognomega.cached_query('SELECT v FROM s');
SELECT entries, hits, stores FROM cognomega.cache_stats;
}), "f\nt\n[{\"v\":\"before\"}]\n[{\"v\":\"before\"}]\n0|0|0",
	'a standby neither stores nor serves');

$primary->safe_psql('postgres', q{UPDATE s SET v = 'replicated'});
$primary->wait_for_catchup($standby);
is($standby->safe_psql('postgres', q{SELECT cognomega.cached_query('SELECT v FROM s')}),
	'[{"v":"replicated"}]', 'a standby always sees replayed changes');
$standby->stop;

# --- COMMIT PREPARED after a restart
$primary->safe_psql('postgres', q{
BEGIN;
UPDATE s SET v = 'prepared';
PREPARE TRANSACTION 'cache_tap';
});
$primary->restart;
is($primary->safe_psql('postgres', q{
SELECT cognomega.cached_query('SELECT v FROM s');
SELECT cognomega.cached_query('SELECT v FROM s');
SELECT hits, stores FROM cognomega.cache_stats;
}), "[{\"v\":\"replicated\"}]\n[{\"v\":\"replicated\"}]\n1|1",
	'old value cached while the transaction is prepared');
$primary->safe_psql('postgres', q{COMMIT PREPARED 'cache_tap'});
is($primary->safe_psql('postgres', q{SELECT cognomega.cached_query('SELECT v FROM s')}),
	'[{"v":"prepared"}]', 'COMMIT PREPARED after a restart invalidates');

$primary->stop;
done_testing();
