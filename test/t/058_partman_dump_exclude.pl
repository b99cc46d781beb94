# A dump that leaves out one managed parent (pg_dump -T / --exclude-table,
# --exclude-schema, or pg_restore -L without it) must still bring back the
# configuration of the parents it holds.  Today the dumped part_config row
# of the left-out parent names a table the target does not have, its
# regclass input fails, and the whole COPY of part_config rolls back: no
# parent is managed after the restore (review rvq, open: see the TODO).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use CognomegaNode;
use Test::More;

my $node = CognomegaNode::preloaded('dump_exclude');

$node->safe_psql('postgres', 'CREATE DATABASE src');
$node->safe_psql('src', q{
	CREATE EXTENSION cognomega;
	CREATE TABLE big (ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
	CREATE TABLE kept (ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
	SELECT cognomega.create_parent('big', 'ts', '1 day');
	SELECT cognomega.create_parent('kept', 'ts', '1 day', retention => '30 days');
});

my $dump = $node->basedir . '/src.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-T', 'big', '-T', 'big_*', '-f', $dump,
					'-d', $node->connstr('src') ], 'pg_dump -T big');
$node->safe_psql('postgres', 'CREATE DATABASE dst');
my ($stdout, $stderr);
my $ok = IPC::Run::run([ 'pg_restore', '-d', $node->connstr('dst'), $dump ],
					   '>', \$stdout, '2>', \$stderr);
is($node->safe_psql('dst', 'SELECT count(*) FROM kept_default'), '0', 'kept restored');

TODO:
{
	local $TODO = 'part_config is dumped with a regclass column: one missing parent fails the whole COPY';
	ok($ok, 'pg_restore without errors') or diag($stderr);
	is($node->safe_psql('dst', q{SELECT string_agg(parent || ' ' || retention, ',')
		FROM cognomega.part_config WHERE parent::text NOT LIKE 'cognomega.%'}),
		'kept 30 days', 'the configuration of the restored parent is back');
}

$node->stop;
done_testing();
