# pg_dump / pg_restore keeps partition management: part_config (a
# config-dump table) comes back with its parents resolved by name, the
# partitions and the default come back, and maintenance on the restored
# database has nothing to do.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use CognomegaNode;
use Test::More;

my $node = CognomegaNode::preloaded('partman_dump');

$node->safe_psql('postgres', 'CREATE DATABASE src');
$node->safe_psql('src', q{
	CREATE EXTENSION cognomega;
	CREATE SCHEMA "Odd Schema";
	CREATE TABLE "Odd Schema"."Metrics" (ts timestamptz NOT NULL, v int) PARTITION BY RANGE (ts);
	CREATE INDEX ON "Odd Schema"."Metrics" (ts);
	CREATE TABLE daily (d date NOT NULL) PARTITION BY RANGE (d);
	SELECT cognomega.create_parent_in_zone('"Odd Schema"."Metrics"', 'ts', '1 month', 'Europe/Paris', 2,
										   now() - interval '3 months', '1 year', true);
	SELECT cognomega.create_parent('daily', 'd', '1 day', 3);
	UPDATE cognomega.part_config SET maintenance_interval = '10 minutes' WHERE parent = 'daily'::regclass;
	INSERT INTO "Odd Schema"."Metrics" SELECT now() - i * interval '1 week', i FROM generate_series(0, 10) i;
});

my $config = q{SELECT string_agg(concat_ws('|', parent, control, part_interval, premake, retention,
	retention_keep_table, time_zone, maintenance_interval), E'\n' ORDER BY parent::text)
	FROM cognomega.part_config};
my $parts = q{SELECT string_agg(partition || ' ' || range_start || ' ' || range_end, E'\n' ORDER BY range_start)
	FROM (SELECT * FROM cognomega.show_partitions('"Odd Schema"."Metrics"')
		  UNION ALL SELECT * FROM cognomega.show_partitions('daily')) s};
my $before_config = $node->safe_psql('src', $config);
my $before_parts = $node->safe_psql('src', $parts);

my $dump = $node->basedir . '/src.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', $node->connstr('src') ], 'pg_dump');
$node->safe_psql('postgres', 'CREATE DATABASE dst');
$node->command_ok([ 'pg_restore', '-d', $node->connstr('dst'), $dump ], 'pg_restore');

is($node->safe_psql('dst', $config), $before_config, 'part_config restored');
is($node->safe_psql('dst', $parts), $before_parts, 'partitions restored');
is($node->safe_psql('dst', q{SELECT count(*) FROM "Odd Schema"."Metrics"}), '11', 'rows restored');
is($node->safe_psql('dst', 'SELECT count(*) FROM cognomega.run_maintenance()'), '0',
	'nothing to maintain after the restore');
is($node->safe_psql('dst', q{SELECT count(*) FROM cognomega.partition_status WHERE needs_attention IS NULL}),
	'2', 'both parents healthy');

$node->stop;
done_testing();
