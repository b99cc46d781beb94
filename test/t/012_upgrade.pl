# Upgrades: every released version, installed and then brought to the
# current one with ALTER EXTENSION ... UPDATE, ends up with exactly the SQL
# objects of a fresh install (definitions, owners, grants, comments,
# config-dump registrations), keeps its configuration and data, and works.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use CognomegaNode;
use Test::More;

my $node = CognomegaNode::preloaded('upgrade');

my $current = $node->safe_psql('postgres',
	"SELECT default_version FROM pg_available_extensions WHERE name = 'cognomega'");
my @old = split /\n/, $node->safe_psql('postgres', q{
	SELECT version FROM pg_available_extension_versions
	 WHERE name = 'cognomega' AND version <> (SELECT default_version
	   FROM pg_available_extensions WHERE name = 'cognomega')
	 ORDER BY string_to_array(version, '.')::int[]});
ok(@old > 0, "released versions before $current are installable: @old");

# The database's objects as pg_dump sees them in binary-upgrade mode, where
# every member of the extension is dumped one by one (with -n it would
# dump none of them: only the whole database will do), less the schema
# "app" that the test's own data lives in.  What differs between two
# databases for reasons of their own (OIDs, relfrozenxid, the security
# key of \restrict) is taken out, and the lines sorted.
sub members
{
	my ($db) = @_;
	my ($out, $err) = run_command([ 'pg_dump', '--schema-only', '--binary-upgrade',
		'--no-comments', '-N', 'app', '-d', $node->connstr($db) ]);
	die "pg_dump $db: $err" if $err;
	my @lines = grep { $_ ne "" && !/^--/ && !/binary_upgrade_set_next/ && !/^\\(un)?restrict / }
		split /\n/, $out;
	s/[0-9]{3,}/<n>/g
	  for grep { /binary_upgrade_create_empty_extension|relfrozenxid|^WHERE oid = / } @lines;
	my $n = grep { /^CREATE FUNCTION cognomega\./ } @lines;
	die "pg_dump $db: no function of the extension dumped" if $n < 20;
	return join("\n", sort @lines) . "\n";
}

# is() for long texts: on a mismatch, the diagnostics show a diff
sub same_text
{
	my ($got, $want, $name) = @_;
	my $ok = is(length($got) == length($want) && $got eq $want ? 1 : 0, 1, $name);
	unless ($ok)
	{
		my $dir = $node->basedir;
		PostgreSQL::Test::Utils::append_to_file("$dir/got.txt", $got);
		PostgreSQL::Test::Utils::append_to_file("$dir/want.txt", $want);
		my ($diff) = run_command([ 'diff', '-u', "$dir/want.txt", "$dir/got.txt" ]);
		diag($diff);
		unlink "$dir/got.txt", "$dir/want.txt";
	}
	return $ok;
}

# what pg_dump leaves out (comments, which --no-comments drops, and the
# privileges the scripts grant, which it leaves to the scripts), the event
# triggers in full, the config-dump tables by name, and the column order of
# the extension's tables: members() sorts the lines of the dump, which hides
# it, and a restore of a table whose columns were added by an update in
# another order than a fresh install has them fails (pg_partman#104)
my $catalog = q{
	WITH m AS (SELECT d.classid, d.objid FROM pg_depend d JOIN pg_extension e ON d.refobjid = e.oid
	            WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
	              AND e.extname = 'cognomega'),
	acl AS (SELECT 'pg_proc'::regclass AS classid, oid, proacl AS a FROM pg_proc
	        UNION ALL SELECT 'pg_class'::regclass, oid, relacl FROM pg_class
	        UNION ALL SELECT 'pg_type'::regclass, oid, typacl FROM pg_type
	        UNION ALL SELECT 'pg_namespace'::regclass, oid, nspacl FROM pg_namespace)
	SELECT string_agg(x, E'\n' ORDER BY x) FROM (
	  SELECT 'comment ' || pg_describe_object(m.classid, m.objid, 0) || ': ' ||
	         coalesce(obj_description(m.objid, m.classid::regclass::name), '-') AS x
	    FROM m
	  UNION ALL
	  SELECT 'acl ' || pg_describe_object(m.classid, m.objid, 0) || ': ' ||
	         coalesce((SELECT string_agg(i::text, ' ' ORDER BY i::text) FROM unnest(acl.a) i), '-')
	    FROM m JOIN acl ON acl.classid = m.classid AND acl.oid = m.objid
	  UNION ALL
	  SELECT 'event trigger ' || evtname || ': ' || evtevent || ' ' || evtfoid::regprocedure::text
	         || ' ' || evtenabled::text || ' ' || coalesce(evttags::text, '-')
	    FROM pg_event_trigger
	  UNION ALL
	  SELECT 'acl schema cognomega: ' ||
	         coalesce((SELECT string_agg(i::text, ' ' ORDER BY i::text) FROM unnest(nspacl) i), '-')
	    FROM pg_namespace WHERE nspname = 'cognomega'
	  UNION ALL
	  SELECT 'config ' || c::regclass || ' ' || coalesce(w, '')
	    FROM pg_extension e, unnest(e.extconfig, e.extcondition) AS u(c, w)
	   WHERE e.extname = 'cognomega'
	  UNION ALL
	  SELECT 'columns ' || r.oid::regclass || ': ' ||
	         (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', '
	                            ORDER BY a.attnum)
	            FROM pg_attribute a
	           WHERE a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped)
	    FROM m JOIN pg_class r ON m.classid = 'pg_class'::regclass AND r.oid = m.objid
	   WHERE r.relkind IN ('r', 'p')) s};

$node->safe_psql('postgres', 'CREATE DATABASE fresh');
$node->safe_psql('fresh', 'CREATE EXTENSION cognomega');
my $want = members('fresh');
my $want_catalog = $node->safe_psql('fresh', $catalog);

foreach my $v (@old)
{
	my $db = 'from_' . ($v =~ s/\./_/gr);
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db, qq{
		CREATE EXTENSION cognomega VERSION '$v';
		CREATE SCHEMA app;
		SELECT count(*) FROM cognomega.setup('app');
		INSERT INTO app.users (email) VALUES ('ada\@example.com');
		INSERT INTO app.generated_apps (user_id, title) SELECT id, 'todo' FROM app.users;
		CREATE TABLE app.events (at timestamptz NOT NULL) PARTITION BY RANGE (at);
		SELECT cognomega.create_parent('app.events', 'at', '1 day', 3);
	});

	$node->safe_psql($db, 'ALTER EXTENSION cognomega UPDATE');
	is($node->safe_psql($db,
			"SELECT extversion FROM pg_extension WHERE extname = 'cognomega'"),
		$current, "$v updated to $current");
	same_text(members($db), $want, "$v + update has the objects of a fresh $current");
	same_text($node->safe_psql($db, $catalog), $want_catalog,
		"$v + update has the comments, privileges and config-dump tables of a fresh $current");

	is($node->safe_psql($db, q{
		SELECT cognomega.app_schema() || ' ' ||
		       (SELECT count(*) FROM cognomega.part_config) || ' ' ||
		       (cognomega.user_with_apps((SELECT id FROM app.users)) #>> '{apps,0,title}') || ' ' ||
		       (SELECT count(*) FROM cognomega.run_maintenance('app.events')
		         WHERE action <> 'created') || ' ' ||
		       (SELECT count(*) FROM cognomega.setup('app'))}),
		# setup() again declares the platform's cache keys (0.3, issue 12)
		'app 2 todo 0 8', "$v + update keeps its configuration and data, and works");
	is($node->safe_psql($db, q{SELECT count(*) FROM cognomega.setup('app')}),
		'0', "$v + update: setup() again has nothing left to do");
}

done_testing();
