# Rows in the default partition of a published parent are never moved
# (issue 19.3): a move is a DELETE from the default and an INSERT into a
# table not yet attached, so a subscriber would see the rows deleted and
# never inserted.  A real subscriber cluster checks that it keeps every row.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $pub = PostgreSQL::Test::Cluster->new('partman_pub');
$pub->init(allows_streaming => 'logical');
$pub->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'cognomega'
cognomega.databases = ''
});
$pub->start;
my $sub = PostgreSQL::Test::Cluster->new('partman_sub');
$sub->init;
$sub->start;

my $ddl = q{CREATE TABLE m (id int, t timestamptz NOT NULL, PRIMARY KEY (id, t)) PARTITION BY RANGE (t)};
$pub->safe_psql('postgres', qq{
	CREATE EXTENSION cognomega;
	$ddl;
	SELECT cognomega.create_parent('m', 't', '1 month', 2);
	CREATE PUBLICATION p FOR TABLE m WITH (publish_via_partition_root = true);
});
$sub->safe_psql('postgres', qq{
	$ddl;
	CREATE TABLE m_all PARTITION OF m DEFAULT;
});
my $conn = $pub->connstr() . ' dbname=postgres';
$sub->safe_psql('postgres', "CREATE SUBSCRIPTION s CONNECTION '$conn' PUBLICATION p");
$sub->wait_for_subscription_sync($pub, 's');

# 5 rows in premade partitions, 6 in the default
$pub->safe_psql('postgres', q{
	INSERT INTO m SELECT g, now() FROM generate_series(1, 5) g;
	INSERT INTO m SELECT 100 + g, timestamptz '2001-01-01' + g * interval '40 days' FROM generate_series(1, 6) g;
});
my ($rc, $out, $err) = $pub->psql('postgres', q{SELECT count(*) FROM cognomega.run_maintenance('m')});
like($err, qr/is in publication "p"/, 'maintenance WARNs that the rows of a published parent are not moved');
is($pub->safe_psql('postgres', q{SELECT last_error LIKE '%publication%' FROM cognomega.part_config}),
	't', 'last_error says why');
($rc, $out, $err) = $pub->psql('postgres', q{SELECT cognomega.partition_data('m')});
like($err, qr/is in publication/, 'partition_data refuses too (0A000)');
is($pub->safe_psql('postgres', q{SELECT count(*) FROM ONLY m_default}), '6', 'the rows stay in the default');

$pub->wait_for_catchup('s');
is($sub->safe_psql('postgres', 'SELECT count(*) FROM m'), '11', 'the subscriber has every row');
is($sub->safe_psql('postgres', 'SELECT sum(id) FROM m'),
	$pub->safe_psql('postgres', 'SELECT sum(id) FROM m'), 'the same rows');

$sub->stop;
$pub->stop;
done_testing();
