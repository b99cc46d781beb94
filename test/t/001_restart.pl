# The library preloads, the extension survives a restart, and a server
# without the library preloaded still accepts CREATE EXTENSION.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use CognomegaNode;
use Test::More;

my $node = CognomegaNode::preloaded('restart');

$node->safe_psql('postgres', 'CREATE EXTENSION cognomega');
is($node->safe_psql('postgres', 'SELECT cognomega.preloaded()'), 't', 'preloaded');

$node->restart;
is($node->safe_psql('postgres', 'SELECT cognomega.preloaded()'), 't',
	'preloaded after restart');

$node->append_conf('postgresql.conf', "shared_preload_libraries = ''");
$node->restart;
is($node->safe_psql('postgres', 'SELECT cognomega.preloaded()'), 'f',
	'works without preloading');

$node->stop;
done_testing();
