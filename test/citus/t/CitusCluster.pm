# A Citus cluster on this machine for the citus suite (scripts/test citus):
# a coordinator and two workers, each preloading citus and cognomega, the
# workers added over their Unix socket directories (absolute paths), with
# cognomega and citus created everywhere and the platform set up on the
# coordinator (cognomega.setup()).  Citus is a test-only dependency, built
# by scripts/citus-build.
package CitusCluster;

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;

our $preload = 'citus,cognomega';

sub node
{
	my ($name, @conf) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);

	$node->init;
	$node->append_conf('postgresql.conf', join("\n",
		"shared_preload_libraries = '$preload'",
		"cognomega.databases = ''",
		"citus.node_conninfo = 'sslmode=disable'",
		# a node's connections to itself (shard moves): its socket directory
		"citus.local_hostname = '" . $node->host . "'",
		"max_prepared_transactions = 20",
		"max_connections = 60",
		"wal_level = logical",
		@conf) . "\n");
	$node->start;
	$node->safe_psql('postgres', 'CREATE EXTENSION citus;'
		. ($preload =~ /cognomega/ ? ' CREATE EXTENSION cognomega;' : ''));
	return $node;
}

# (coordinator, worker1, worker2); extra lines go to every postgresql.conf
sub start
{
	my ($prefix, @conf) = @_;
	my $coord = node("${prefix}_coord", @conf);
	my @workers = map { node("${prefix}_w$_", @conf) } (1, 2);

	$coord->safe_psql('postgres', sprintf(
		"SELECT citus_set_coordinator_host('%s', %d)", $coord->host, $coord->port));
	for my $w (@workers)
	{
		$coord->safe_psql('postgres', sprintf(
			"SELECT citus_add_node('%s', %d)", $w->host, $w->port));
	}
	return ($coord, @workers);
}

1;
