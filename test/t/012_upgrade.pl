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

# The update to 0.3 re-creates the query functions (their result type went
# from jsonb to json).  An object depending on one of them makes the update
# fail with a clear message, naming it, and change nothing; once it is
# dropped the update goes through, and it can be created again over json.
# Privileges granted on the functions are reset, with a WARNING naming them.
my $prev = $old[-1];
if ($current eq '0.3' && $prev eq '0.2')
{
	$node->safe_psql('postgres', 'CREATE DATABASE with_view');
	$node->safe_psql('with_view', q{
		CREATE EXTENSION cognomega VERSION '0.2';
		CREATE SCHEMA app;
		SELECT count(*) FROM cognomega.setup('app');
		INSERT INTO app.users (email) VALUES ('ada@example.com');
		CREATE VIEW app.user_docs AS
			SELECT u.id, cognomega.user_with_apps(u.id) AS doc FROM app.users u;
		CREATE ROLE upgrade_reader;
		GRANT EXECUTE ON FUNCTION cognomega.agent_analytics(uuid, text) TO upgrade_reader;
	});
	# the 0.2 definitions (RETURNS jsonb) served by this library, before
	# the update: jsonb, the same values
	is($node->safe_psql('with_view', q{
		SELECT concat_ws(' ', pg_typeof(cognomega.user_with_apps(u.id)),
		       cognomega.user_with_apps(u.id) -> 'user' = to_jsonb(u),
		       cognomega.user_with_apps(u.id) @> '{"apps": []}',
		       (SELECT pg_typeof(w.doc) || ' ' || (w.doc -> 'user' = to_jsonb(u))
		          FROM cognomega.users_with_apps(ARRAY[u.id]) w),
		       cognomega.user_agents_overview(u.id) = jsonb_build_object('user_id', u.id, 'agents', '[]'::jsonb),
		       cognomega.agent_analytics(u.id, 'daily') IS NULL,
		       pg_typeof(cognomega.cached_query('SELECT 1 AS one, ''x'' AS two')),
		       cognomega.cached_query('SELECT 1 AS one, ''x'' AS two'))
		  FROM app.users u}),
		'jsonb t t jsonb true t t jsonb [{"one": 1, "two": "x"}]',
		'before the update, the 0.2 definitions get jsonb from this library');
	my ($ret, $out, $err) = $node->psql('with_view',
		"\\set VERBOSITY verbose\nALTER EXTENSION cognomega UPDATE");
	isnt($ret, 0, 'the update fails while a view depends on user_with_apps');
	like($err, qr/ERROR:  2BP01: cannot update extension cognomega to 0\.3: objects depend on functions whose result type changes from jsonb to json/,
		'with SQLSTATE 2BP01 and a message that says why');
	like($err, qr/DETAIL:  Depending objects: view app\.user_docs \(on cognomega\.user_with_apps\(user_id uuid\)\)\./,
		'naming the view and the function');
	like($err, qr/HINT:  Drop them, run ALTER EXTENSION cognomega UPDATE again and re-create them/,
		'and what to do');
	is($node->safe_psql('with_view', q{
		SELECT extversion || ' ' || (SELECT doc #>> '{user,email}' FROM app.user_docs)
		  FROM pg_extension WHERE extname = 'cognomega'}),
		'0.2 ada@example.com', 'nothing changed: still 0.2, the view works');

	$node->safe_psql('with_view', 'DROP VIEW app.user_docs');
	($ret, $out, $err) = $node->psql('with_view', 'ALTER EXTENSION cognomega UPDATE');
	is($ret, 0, 'the update goes through once the view is dropped');
	like($err, qr/WARNING:  privileges on cognomega's query functions are reset to the default by the update to 0\.3/,
		'a WARNING says granted privileges were reset');
	like($err, qr/GRANT EXECUTE ON FUNCTION cognomega\.agent_analytics\(agent_id uuid, period text\) TO upgrade_reader;/,
		'and gives the GRANT to run again');
	is($node->safe_psql('with_view', q{
		CREATE VIEW app.user_docs AS
			SELECT u.id, cognomega.user_with_apps(u.id) AS doc FROM app.users u;
		SELECT extversion || ' ' || pg_typeof(d.doc) || ' ' || (d.doc #>> '{user,email}')
		  FROM pg_extension, app.user_docs d WHERE extname = 'cognomega'}),
		'0.3 json ada@example.com', 'the view re-created over the 0.3 function returns json');
	$node->safe_psql('with_view', q{
		DROP VIEW app.user_docs;
		DROP OWNED BY upgrade_reader;
		DROP ROLE upgrade_reader;});
}

done_testing();
