# A started test cluster with cognomega preloaded and its jobs quiet
# (cognomega.databases = ''), for the TAP tests that need nothing more.
package CognomegaNode;

use strict;
use warnings;
use PostgreSQL::Test::Cluster;

sub preloaded
{
	my ($name, @conf) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);

	$node->init;
	$node->append_conf('postgresql.conf', join("\n",
		"shared_preload_libraries = 'cognomega'",
		"cognomega.databases = ''", @conf) . "\n");
	$node->start;
	return $node;
}

1;
