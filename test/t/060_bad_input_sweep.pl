# Bad input, swept: every function and procedure of schema cognomega, found
# in pg_proc (so a new one is swept without touching this file), is called
# with odd arguments built per parameter type, as the superuser and as a
# plain LOGIN role without grants.  The project rule: bad input gets a clear
# ERROR with the right SQLSTATE -- never a crash, never an internal error
# (XX000..XX002), never an I/O class error (58xxx), never a hang (57014 under
# the sweep's statement_timeout), never lost or half-moved data.
#
# How the matrix is built: each function is called once with sensible
# arguments (a baseline chosen per parameter name), once with every argument
# NULL, and once per odd value of each parameter with the other parameters
# at their baseline, so every odd value meets a state in which it matters.
#
# Three passes.  Pass 1 rolls every call back (BEGIN ... ROLLBACK), so all
# of them meet the same fixtures.  Pass 2, as the superuser, runs every call
# in a read-only transaction (what a hot standby or
# default_transaction_read_only gives): 25006, never an internal error.
# Pass 3 commits every call, so calls with effects (creating partitions,
# moving rows out of default partitions, undo_parent, setup) really happen,
# one after the other; afterwards every row of every fixture table must
# still be there, and every parent in cognomega.part_config must still be
# listable and maintainable.
#
# A function not granted to PUBLIC refuses the plain role with 42501 (except
# where PostgreSQL itself decides first, see must_refuse below).  The views
# of the schema, read as the plain role, either work or give 42501.
#
# Excluded from the sweep, with the reason:
#   (none of the functions) -- every function and procedure is called;
#   the procedure run_maintenance_proc() COMMITs, so it is called outside a
#   transaction block in both passes (in a block it would only raise 2D000).
# Values not swept:
#   interval 'infinity' -- PostgreSQL 15 has no infinite interval;
#   start_at values years before now with a short interval -- legitimate
#   input that creates thousands of partitions (slow, not bad).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use CognomegaNode;
use Test::More;

my $node = CognomegaNode::preloaded('sweep', "max_prepared_transactions = 10");
my $db   = 'postgres';

# --- fixtures -------------------------------------------------------------
$node->safe_psql($db, q{
CREATE EXTENSION cognomega;
SET client_min_messages = warning;
SELECT count(*) FROM cognomega.setup('public');
CREATE ROLE sweeper LOGIN;
CREATE SCHEMA sweep;
CREATE SCHEMA sweep_own AUTHORIZATION sweeper;

-- the platform's data
INSERT INTO users (id, email, subscription_tier, subscription_status, is_active)
	VALUES ('11111111-1111-1111-1111-111111111111', 'a@example.com', 'pro', 'active', true);
INSERT INTO generated_apps (id, user_id, title, status)
	VALUES ('22222222-2222-2222-2222-222222222222', '11111111-1111-1111-1111-111111111111', 'app', 'completed');
INSERT INTO ai_agents (id, user_id, name, type, status)
	VALUES ('33333333-3333-3333-3333-333333333333', '11111111-1111-1111-1111-111111111111', 'bot', 'chat', 'active');
INSERT INTO ai_agent_tasks (id, agent_id, priority, status)
	VALUES ('44444444-4444-4444-4444-444444444444', '33333333-3333-3333-3333-333333333333', 1, 'pending');

-- managed parents with rows near now (no retention can reach them) and a
-- row in each default partition that maintenance will move
CREATE TABLE sweep.events (id int, created_at timestamptz NOT NULL, note text)
	PARTITION BY RANGE (created_at);
SELECT cognomega.create_parent('sweep.events', 'created_at', '1 day',
							   start_at => now() - interval '2 days');
INSERT INTO sweep.events SELECT g, now() - (g % 2) * interval '1 day', 'e'
	FROM generate_series(1, 200) g;
INSERT INTO sweep.events VALUES (0, now() + interval '40 days', 'in default');
CREATE TABLE sweep.daily (d date NOT NULL, v int) PARTITION BY RANGE (d);
SELECT cognomega.create_parent('sweep.daily', 'd', '1 mon');
INSERT INTO sweep.daily SELECT current_date, g FROM generate_series(1, 50) g;
INSERT INTO sweep.daily VALUES (current_date + 400, 0);
SELECT cognomega.create_parent('public.ai_agent_analytics', 'created_at', '1 mon')
 WHERE NOT EXISTS (SELECT 1 FROM cognomega.part_config
					WHERE parent = 'public.ai_agent_analytics'::regclass);
INSERT INTO ai_agent_analytics (agent_id, period, total_interactions, success_rate,
								cost_per_interaction, created_at)
	VALUES ('33333333-3333-3333-3333-333333333333', 'day', 10, 0.5, 0.01, now());

-- a partitioned table nobody manages (yet), with a partition and rows
CREATE TABLE sweep.unmanaged (created_at timestamptz NOT NULL, v int)
	PARTITION BY RANGE (created_at);
CREATE TABLE sweep.unmanaged_old PARTITION OF sweep.unmanaged
	FOR VALUES FROM ('2020-01-01') TO ('2020-02-01');
INSERT INTO sweep.unmanaged VALUES ('2020-01-15', 1), ('2020-01-16', 2);
-- keys of the two other types, rows near now in a default partition
CREATE TABLE sweep.unmanaged_ts (created_at timestamp NOT NULL, v int)
	PARTITION BY RANGE (created_at);
CREATE TABLE sweep.unmanaged_ts_default PARTITION OF sweep.unmanaged_ts DEFAULT;
INSERT INTO sweep.unmanaged_ts SELECT localtimestamp, g FROM generate_series(1, 5) g;
CREATE TABLE sweep.unmanaged_date (created_at date NOT NULL, v int)
	PARTITION BY RANGE (created_at);
CREATE TABLE sweep.unmanaged_date_default PARTITION OF sweep.unmanaged_date DEFAULT;
INSERT INTO sweep.unmanaged_date SELECT current_date, g FROM generate_series(1, 5) g;
-- one the plain role owns, in its own schema
CREATE TABLE sweep_own.mine (created_at timestamptz NOT NULL, v int)
	PARTITION BY RANGE (created_at);
ALTER TABLE sweep_own.mine OWNER TO sweeper;

-- every other kind of relation a regclass can name
CREATE TABLE sweep.plain (id int PRIMARY KEY, created_at timestamptz);
INSERT INTO sweep.plain SELECT g, now() FROM generate_series(1, 10) g;
CREATE INDEX plain_created_idx ON sweep.plain (created_at);
CREATE VIEW sweep.v AS SELECT * FROM sweep.plain;
CREATE SEQUENCE sweep.seq;
CREATE MATERIALIZED VIEW sweep.mv AS SELECT * FROM sweep.plain;
CREATE TABLE sweep.by_list (created_at timestamptz, r text) PARTITION BY LIST (r);
CREATE TABLE sweep.by_list_a PARTITION OF sweep.by_list FOR VALUES IN ('a');
INSERT INTO sweep.by_list VALUES (now(), 'a');
CREATE TABLE sweep.by_hash (id int, created_at timestamptz) PARTITION BY HASH (id);
CREATE TABLE sweep.two_cols (a timestamptz, b timestamptz) PARTITION BY RANGE (a, b);
CREATE TABLE sweep.by_int (id int, created_at timestamptz) PARTITION BY RANGE (id);
CREATE TYPE sweep.comp AS (a int, created_at timestamptz);
CREATE SCHEMA "we""ird; sch";
CREATE TABLE "we""ird; sch"."Ta'ble ""x""" (created_at timestamptz NOT NULL)
	PARTITION BY RANGE (created_at);
CREATE TABLE sweep.victim (id int);
INSERT INTO sweep.victim SELECT generate_series(1, 5);
CREATE TABLE sweep.gone (id int);
});

my $dropped_oid = $node->safe_psql($db,
	q{SELECT 'sweep.gone'::regclass::oid; DROP TABLE sweep.gone});
my $a_partition = $node->safe_psql($db,
	q{SELECT partition FROM cognomega.show_partitions('sweep.events') LIMIT 1});
my $toast = $node->safe_psql($db,
	q{SELECT reltoastrelid::regclass FROM pg_class WHERE oid = 'pg_proc'::regclass});

# Row counts of every fixture table, compared after the sweep.
my $counts_sql = q{
SELECT string_agg(format('%s=%s', t, (xpath('/row/c/text()',
		query_to_xml(format('SELECT count(*) AS c FROM %s', t), false, true, '')))[1]),
		' ' ORDER BY t)
  FROM unnest(ARRAY['sweep.events', 'sweep.daily', 'sweep.unmanaged', 'sweep.plain',
					'sweep.by_list', 'sweep.victim', 'public.users',
					'public.generated_apps', 'public.ai_agents',
					'public.ai_agent_tasks', 'public.ai_agent_analytics']) t};
my $counts_before = $node->safe_psql($db, $counts_sql);

# --- odd values per parameter type ----------------------------------------
# [label, SQL expression]; the expression is cast to the parameter type.
my $big_text = q{repeat('x', 10240)};
my @text_odd = (
	[ 'NULL',      'NULL' ],
	[ 'empty',     q{''} ],
	[ '10kB',      $big_text ],
	[ 'quotes',    q{$q$O'Brien "x"; -- ünïcødé ✓ 𝄞 \\ %s $1$q$} ],
	[ 'injection', q{'x; DROP TABLE sweep.victim'} ],
	[ 'injection2', q{$q$'); DROP TABLE sweep.victim; --$q$} ],
);
# Relations are passed by OID: the plain role has no USAGE on their schemas,
# and a name would fail in the regclass cast before reaching the function.
sub rel_oid
{
	my ($literal) = @_;
	return $node->safe_psql($db, "SELECT ($literal)::regclass::oid") . '::oid';
}
my %rel = (
	'table'             => rel_oid(q{'sweep.plain'}),
	'view'              => rel_oid(q{'sweep.v'}),
	'sequence'          => rel_oid(q{'sweep.seq'}),
	'index'             => rel_oid(q{'sweep.plain_created_idx'}),
	'matview'           => rel_oid(q{'sweep.mv'}),
	'partition'         => rel_oid("'$a_partition'"),
	'unmanaged parted'  => rel_oid(q{'sweep.unmanaged'}),
	'temp table'        => q{'pg_temp.sweep_temp'},
	'temp parted'       => q{'pg_temp.sweep_temp_parted'},
	'catalog'           => rel_oid(q{'pg_catalog.pg_class'}),
	'toast'             => rel_oid("'$toast'"),
	'dropped oid'       => "$dropped_oid",
	'oid 0'             => '0',
	'list parted'       => rel_oid(q{'sweep.by_list'}),
	'hash parted'       => rel_oid(q{'sweep.by_hash'}),
	'two-column key'    => rel_oid(q{'sweep.two_cols'}),
	'int key'           => rel_oid(q{'sweep.by_int'}),
	'composite type'    => rel_oid(q{'sweep.comp'}),
	'odd names'         => rel_oid(q{$q$"we""ird; sch"."Ta'ble ""x"""$q$}),
	'managed parent'    => rel_oid(q{'sweep.events'}),
	'managed date'      => rel_oid(q{'sweep.daily'}),
	'role owns'         => rel_oid(q{'sweep_own.mine'}),
	'extension table'   => rel_oid(q{'cognomega.part_config'}),
	'stats_history'     => rel_oid(q{'cognomega.stats_history'}),
);
my @regclass_odd = (
	[ 'NULL', 'NULL' ],
	map { [ $_, $rel{$_} =~ /^\d+$/ ? "$rel{$_}::oid" : $rel{$_} ] } sort keys %rel);
my $plain_oid = $rel{table};
my $uuids10k = q{ARRAY(SELECT md5(g::text)::uuid FROM generate_series(1, 10000) g)};
my %odd = (
	text => \@text_odd,
	name => \@text_odd,
	regclass => \@regclass_odd,
	'regclass[]' => [
		[ 'NULL', 'NULL' ], [ 'empty', q{'{}'} ], [ '{NULL}', q{'{NULL}'} ],
		[ 'catalog', q{'{pg_catalog.pg_class}'} ],
		[ 'view+seq', "ARRAY[$rel{view}, $rel{sequence}]" ],
		[ 'dropped', "ARRAY[${dropped_oid}::oid::regclass]" ],
		[ '2-D', "ARRAY[[$plain_oid], [$plain_oid]]" ],
		[ '10000', "array_fill($plain_oid, ARRAY[10000])" ] ],
	interval => [
		[ 'NULL', 'NULL' ], [ 'negative', q{'-1 day'} ], [ 'zero', q{'0'} ],
		[ '1 mon 1 day', q{'1 mon 1 day'} ], [ '1 day 1 s', q{'1 day 1 second'} ],
		[ '1 us', q{'1 microsecond'} ], [ '1000000 years', q{'1000000 years'} ],
		[ 'max', q{'178000000 years'} ], [ 'min', q{'-178000000 years'} ] ],
	integer => [
		[ 'NULL', 'NULL' ], [ '0', '0' ], [ '-1', '-1' ], [ '1', '1' ],
		[ 'max', '2147483647' ], [ 'min', '(-2147483648)' ] ],
	bigint => [
		[ 'NULL', 'NULL' ], [ '0', '0' ], [ '-1', '-1' ],
		[ 'max', '9223372036854775807' ], [ 'min', '(-9223372036854775808)' ] ],
	oid => [
		[ 'NULL', 'NULL' ], [ '0', '0' ], [ 'max', '4294967295' ],
		[ 'dropped', $dropped_oid ], [ 'pg_catalog', q{'pg_catalog'::regnamespace} ] ],
	uuid => [
		[ 'NULL', 'NULL' ], [ 'random', q{'6f1c2d3e-4b5a-4c6d-8e7f-90a1b2c3d4e5'} ],
		[ 'nil', q{'00000000-0000-0000-0000-000000000000'} ] ],
	'uuid[]' => [
		[ 'NULL', 'NULL' ], [ 'empty', q{'{}'} ], [ '{NULL}', q{'{NULL}'} ],
		[ '10000 random', $uuids10k ],
		[ '10000 same', q{array_fill('11111111-1111-1111-1111-111111111111'::uuid, ARRAY[10000])} ],
		[ '2-D', q{'{{11111111-1111-1111-1111-111111111111,NULL},{6f1c2d3e-4b5a-4c6d-8e7f-90a1b2c3d4e5,11111111-1111-1111-1111-111111111111}}'} ],
		[ 'lower bound 5', q{'[5:5]={11111111-1111-1111-1111-111111111111}'} ] ],
	'timestamp with time zone' => [
		[ 'NULL', 'NULL' ], [ 'infinity', q{'infinity'} ], [ '-infinity', q{'-infinity'} ],
		[ 'max', q{'294276-12-31 23:59:59.999999+00'} ],
		[ 'year 294000', q{'294000-01-01 00:00+00'} ],
		[ 'min', q{'4714-11-24 00:00:00+00 BC'} ],
		[ 'odd instant', q{'2026-01-01 12:34:56.789+05:30'} ] ],
	jsonb => [
		[ 'NULL', 'NULL' ], [ 'null', q{'null'} ], [ 'string', q{'"x"'} ],
		[ 'huge', q{(SELECT jsonb_agg(repeat('y', 100)) FROM generate_series(1, 30000))} ] ],
	boolean => [ [ 'NULL', 'NULL' ], [ 'true', 'true' ], [ 'false', 'false' ] ],
	'name[]' => [
		[ 'NULL', 'NULL' ], [ 'empty', q{'{}'} ], [ '{NULL}', q{'{NULL}'} ],
		[ '2-D', q{'{{a},{b}}'} ], [ '10000', q{array_fill('a'::name, ARRAY[10000])} ] ],
	'text[]' => [
		[ 'NULL', 'NULL' ], [ 'empty', q{'{}'} ], [ '{NULL}', q{'{NULL}'} ],
		[ 'six NULLs', q{'{NULL,NULL,NULL,NULL,NULL,NULL}'} ],
		[ 'unknown zone', q{'{Mars/Olympus,"ISO, MDY",postgres,1,hex,C}'} ],
		[ 'bad DateStyle', q{'{UTC,nonsense,postgres,1,hex,C}'} ],
		[ 'bad digits', q{'{UTC,"ISO, MDY",postgres,99,hex,C}'} ],
		[ 'bad locale', q{'{UTC,"ISO, MDY",postgres,1,hex,xx_NOPE}'} ],
		[ '2-D', q{'{{UTC,"ISO, MDY",postgres},{1,hex,C}}'} ],
		[ 'seven', q{'{UTC,"ISO, MDY",postgres,1,hex,C,x}'} ],
		[ '10000', q{array_fill('UTC'::text, ARRAY[10000])} ] ],
	'boolean[]' => [
		[ 'NULL', 'NULL' ], [ 'empty', q{'{}'} ], [ '{NULL}', q{'{NULL}'} ],
		[ '2-D', q{'{{t},{f}}'} ] ],
);

# Extra odd values that only make sense for a parameter of that name.
my %odd_by_name = (
	time_zone => [
		[ 'unknown zone', q{'Mars/Olympus'} ], [ 'offset', q{'+05:30'} ],
		[ 'posix', q{'<+0530>-5:30'} ], [ 'St_Johns', q{'America/St_Johns'} ] ],
	query => [
		[ 'two statements', q{'SELECT 1; DROP TABLE sweep.victim'} ],
		[ 'write', q{'UPDATE sweep.victim SET id = id'} ],
		[ 'for update', q{'SELECT * FROM sweep.victim FOR UPDATE'} ],
		[ 'commit', q{'COMMIT'} ], [ 'vacuum', q{'VACUUM sweep.victim'} ],
		[ 'call proc', q{'CALL cognomega.run_maintenance_proc()'} ],
		[ 'recursion', q{$q$SELECT cognomega.cached_query('SELECT 1')$q$} ],
		[ 'utility', q{'LISTEN sweep'} ], [ 'parameter', q{'SELECT $1'} ],
		[ 'catalog', q{'SELECT relname FROM pg_class LIMIT 3'} ],
		[ 'authid', q{'SELECT rolname, rolpassword FROM pg_authid'} ] ],
	job => [
		[ 'stats', q{'stats'} ], [ 'maintenance', q{'partition_maintenance'} ],
		[ 'upper', q{'STATS'} ], [ 'blank', q{'stats '} ] ],
	function_name => [ [ 'upper', q{'USER_WITH_APPS'} ], [ 'other', q{'cache_get'} ] ],
	control => [
		[ 'not key', q{'note'} ], [ 'quoted', q{'"created_at"'} ],
		[ 'upper', q{'CREATED_AT'} ], [ 'system col', q{'ctid'} ] ],
	app_schema => [
		[ 'pg_catalog', q{'pg_catalog'} ], [ 'pg_toast', q{'pg_toast'} ],
		[ 'cognomega', q{'cognomega'} ], [ 'sweep_own', q{'sweep_own'} ] ],
);

# Sensible value per parameter name (the baseline), else per type.
my %base_by_name = (
	parent => $rel{'managed parent'}, rel => $plain_oid,
	idx => $rel{index}, top => $plain_oid,
	control => q{'created_at'}, part_interval => q{'1 day'}, premake => '4',
	time_zone => q{'UTC'}, batch_rows => '100', key => q{'sweep_key'},
	value => q{'{"a": 1}'}, query => q{'SELECT 1 AS one'},
	function_name => q{'user_with_apps'}, job => q{'cache_sweep'},
	user_id => q{'11111111-1111-1111-1111-111111111111'},
	user_ids => q{'{11111111-1111-1111-1111-111111111111}'},
	agent_id => q{'33333333-3333-3333-3333-333333333333'}, period => q{'day'},
	nsp => $node->safe_psql($db, q{SELECT 'sweep'::regnamespace::oid}), base => q{'x'}, cols => q{'{created_at}'},
	descs => q{'{f}'}, pred => 'NULL', preferred => q{'x'}, idxname => q{'x'},
	top_name => q{'x'}, suffix => q{'idx'}, app_schema => q{'public'},
	cur => '2', prev => '1', span => q{'1 second'}, concurrently => 'true',
	depends_on => q{'{}'}, ttl => 'NULL', start_at => 'NULL', retention => 'NULL',
	retention_keep_table => 'false',
	settings => q{'{UTC,"ISO, MDY",postgres,1,hex,C}'},
);
# create_parent's parent must be eligible for the other odd values to
# count: the matrix runs once per key type (timestamptz, timestamp, date)
my @eligible = (
	[ '', { parent => $rel{'unmanaged parted'} } ],
	[ 'timestamp key: ', { parent => rel_oid(q{'sweep.unmanaged_ts'}) } ],
	[ 'date key: ', { parent => rel_oid(q{'sweep.unmanaged_date'}) } ]);
my %variants_by_function = (
	create_parent => \@eligible,
	create_parent_in_zone => \@eligible,
);

# --- the functions, from pg_proc ------------------------------------------
my @procs = map { [ split /\|/, $_, -1 ] } split /\n/, $node->safe_psql($db, q{
SELECT p.proname, p.prokind, p.oid::regprocedure,
	   coalesce((SELECT string_agg(format_type(t, NULL), ',' ORDER BY n)
				   FROM unnest(p.proargtypes) WITH ORDINALITY a(t, n)), ''),
	   coalesce((SELECT string_agg(coalesce(nm, ''), ',' ORDER BY n)
				   FROM unnest(p.proargnames, p.proargmodes) WITH ORDINALITY a(nm, md, n)
				  WHERE coalesce(md, 'i') IN ('i', 'b', 'v')), ''),
	   p.prorettype IN ('trigger'::regtype, 'event_trigger'::regtype)
  FROM pg_proc p
 WHERE p.pronamespace = 'cognomega'::regnamespace
 ORDER BY p.proname, p.oid});
# proargnames lists only IN names when proargmodes is NULL
for my $p (@procs)
{
	my ($proname, $kind, $sig, $types, $names) = @$p;
	my @t = split /,/, $types;
	my @n = split /,/, $names, -1;
	@n = ('') x @t if @n != @t;
	$p->[3] = \@t;
	$p->[4] = \@n;
}
my %swept_types;
my @calls;		# [function, label, sql, is_procedure]
for my $p (@procs)
{
	my ($proname, $kind, $sig, $types, $names) = @$p;
	for my $variant (@{ $variants_by_function{$proname} // [ [ '', {} ] ] })
	{
		push @calls, sweep_calls($proname, $kind, $sig, $types, $names, @$variant);
	}
}

# The calls of one function: baseline, all NULL, each odd value in turn.
sub sweep_calls
{
	my ($proname, $kind, $sig, $types, $names, $prefix, $base_over) = @_;
	my @calls;
	my @args;
	for my $i (0 .. $#$types)
	{
		my ($t, $n) = ($types->[$i], $names->[$i]);
		$swept_types{$t} = 1;
		die "no odd values for type $t (parameter $n of $sig): add them"
		  unless $odd{$t};
		my $base = $base_over->{$n} // $base_by_name{$n} // $odd{$t}[1][1];
		push @args, {
			type => $t, name => $n || "\$" . ($i + 1), base => $base,
			odd => [ @{ $odd{$t} }, @{ $odd_by_name{$n} // [] } ] };
	}
	my $render = sub {
		my (%over) = @_;
		my @sql = map {
			my $v = exists $over{$_} ? $over{$_} : $args[$_]{base};
			"($v)::$args[$_]{type}" } 0 .. $#args;
		my $argl = join(', ', @sql);
		return $kind eq 'p' ? "CALL cognomega.$proname($argl)"
		  : "SELECT * FROM cognomega.$proname($argl)";
	};
	push @calls, [ $proname, "${prefix}baseline", $render->(), $kind eq 'p' ];
	push @calls, [ $proname, "${prefix}all NULL",
		$render->(map { $_ => 'NULL' } 0 .. $#args), $kind eq 'p' ] if @args;
	for my $i (0 .. $#args)
	{
		for my $o (@{ $args[$i]{odd} })
		{
			push @calls, [ $proname, "$prefix$args[$i]{name}=$o->[0]",
				$render->($i => $o->[1]), $kind eq 'p' ];
		}
	}
	return @calls;
}

# --- run ------------------------------------------------------------------
sub server_identity
{
	return $node->safe_psql($db,
		q{SELECT pg_postmaster_start_time(), (SELECT pid FROM pg_stat_activity
			WHERE backend_type = 'checkpointer')});
}
my $identity = server_identity();
my $log_offset = -s $node->logfile;

# One psql session per pass and role: each call in its own transaction,
# its SQLSTATE and message echoed after it.
sub run_calls
{
	my ($role, $mode) = @_;
	my $script = qq{\\set VERBOSITY terse
\\o /dev/null
SET client_min_messages = error;
SET statement_timeout = '20s';
CREATE TEMP TABLE sweep_temp (id int, created_at timestamptz);
CREATE TEMP TABLE sweep_temp_parted (created_at timestamptz NOT NULL)
	PARTITION BY RANGE (created_at);
GRANT ALL ON sweep_temp, sweep_temp_parted TO PUBLIC;
};
	my $setrole = $role eq 'superuser' ? '' : "SET ROLE $role;";
	for my $i (0 .. $#calls)
	{
		my ($f, $label, $sql, $is_proc) = @{ $calls[$i] };
		if ($mode eq 'read only')
		{
			$script .= "SET default_transaction_read_only = on;\n$setrole\n$sql;\n\\echo \@\@ $i :SQLSTATE :LAST_ERROR_MESSAGE\nRESET ROLE;\nRESET default_transaction_read_only;\n";
		}
		elsif ($is_proc || $mode eq 'committed')
		{
			$script .= "$setrole\n$sql;\n\\echo \@\@ $i :SQLSTATE :LAST_ERROR_MESSAGE\nRESET ROLE;\n";
		}
		else
		{
			$script .= "BEGIN;\n$setrole\n$sql;\n\\echo \@\@ $i :SQLSTATE :LAST_ERROR_MESSAGE\nROLLBACK;\n";
		}
	}
	my ($out, $err) = ('', '');
	$node->psql($db, $script, stdout => \$out, stderr => \$err,
		on_error_stop => 0, timeout => 600);
	my @res;
	for my $line (split /\n/, $out)
	{
		next unless $line =~ /^\@\@ (\d+) (\S+) ?(.*)$/;
		$res[$1] = [ $2, $3 ];
	}
	return \@res;
}

# every result, for a reader: tmp_check/060_sweep_results.tsv
open(my $tsv, '>', "$PostgreSQL::Test::Utils::tmp_check/060_sweep_results.tsv")
  or die "cannot write results: $!";
# functions the plain role may not execute: every call of theirs is 42501
my %not_granted = map { $_ => 1 } split /\n/, $node->safe_psql($db, q{
SELECT DISTINCT proname || CASE WHEN proisstrict THEN ' strict' ELSE '' END
  FROM pg_proc
 WHERE pronamespace = 'cognomega'::regnamespace
   AND prorettype NOT IN ('trigger'::regtype, 'event_trigger'::regtype)
   AND NOT has_function_privilege('sweeper', oid, 'EXECUTE')});
# PostgreSQL's own order of checks, not cognomega's: the planner folds a
# STRICT function with a NULL argument to NULL before the EXECUTE check,
# and a trigger function in FROM fails (42804) before it; both excluded
sub must_refuse
{
	my ($f, $label) = @_;
	return $not_granted{$f}
	  || ($not_granted{"$f strict"} && $label !~ /(all NULL|=NULL)$/);
}
my %by_state;	# sqlstate => count
my @bad;		# findings
my $ncalls = 0;
for my $pass ([ 'rolled back', 'superuser', 'sweeper' ],
			  [ 'read only', 'superuser' ],
			  [ 'committed', 'superuser', 'sweeper' ])
{
	for my $role (@$pass[ 1 .. $#$pass ])
	{
		my $res = run_calls($role, $pass->[0]);
		for my $i (0 .. $#calls)
		{
			my ($f, $label, $sql) = @{ $calls[$i] };
			my ($state, $msg) = @{ $res->[$i] // [ 'none', 'no result: connection lost?' ] };
			$ncalls++;
			print $tsv join("\t", $pass->[0], $role, $f, $label, $state,
				$state eq '00000' ? '' : $msg), "\n";
			$by_state{$state}++;
			my $why;
			$why = 'internal error' if $state =~ /^XX/;
			$why = 'system error' if $state =~ /^58/;
			$why = 'hang (statement_timeout)' if $state eq '57014';
			$why = 'lost connection' if $state eq 'none' || $state =~ /^(08|57P)/;
			$why = 'not refused with 42501'
			  if $role eq 'sweeper' && must_refuse($f, $label) && $state ne '42501';
			push @bad, "[$pass->[0], $role] $f($label): $state $msg ($why)\n    $sql"
			  if $why;
		}
	}
}
close($tsv);
my $calls_per_run = scalar @calls;

# --- the views, as the plain role ------------------------------------------
my @views = split /\n/, $node->safe_psql($db,
	q{SELECT c.oid::regclass FROM pg_class c
	   WHERE c.relnamespace = 'cognomega'::regnamespace AND c.relkind IN ('v', 'm')
	   ORDER BY 1});
for my $v (@views)
{
	my ($ret, $out, $err) = $node->psql($db,
		"\\set VERBOSITY verbose\nSET ROLE sweeper;\nSELECT * FROM $v;");
	my ($state) = $err =~ /ERROR:\s+([0-9A-Z]{5}):/;
	$state //= $ret == 0 ? '00000' : 'failed';
	ok($state eq '00000' || $state eq '42501',
		"SELECT * FROM $v as a plain role: $state") or diag($err);
}

# --- verdicts -------------------------------------------------------------
is(scalar(@bad), 0,
	"no internal error, crash, hang, lost connection or privilege error other than 42501 in $ncalls calls")
  or diag(join("\n", @bad));
is(server_identity(), $identity, 'the postmaster never restarted');
my $log = slurp_file($node->logfile, $log_offset);
unlike($log, qr/terminated by signal|was terminated by exception|PANIC|reinitializing/,
	'no server process crashed');

is($node->safe_psql($db, $counts_sql), $counts_before,
	'every fixture table still holds all its rows');
is($node->safe_psql($db, q{SELECT count(*) FROM cognomega.part_config c
							 WHERE NOT EXISTS (SELECT 1 FROM pg_class WHERE oid = c.parent)}),
	'0', 'part_config names only existing parents');
my ($ret, $out, $err) = $node->psql($db, q{
SELECT c.parent, count(s.*) FROM cognomega.part_config c
  LEFT JOIN LATERAL cognomega.show_partitions(c.parent) s ON true
 GROUP BY 1 ORDER BY 1});
is($ret, 0, 'show_partitions works for every managed parent') or diag($err);
($ret, $out, $err) = $node->psql($db,
	'SELECT count(*) FROM cognomega.run_maintenance()');
is($ret, 0, 'run_maintenance() still maintains every managed parent') or diag($err);
is($node->safe_psql($db, $counts_sql), $counts_before,
	'and afterwards every fixture table still holds all its rows');

diag(sprintf("%d functions not granted to PUBLIC", scalar(keys %not_granted)));
diag(sprintf("%d functions and procedures, %d parameter types, %d calls per role and pass, %d calls in all",
	scalar(@procs), scalar(keys %swept_types), $calls_per_run, $ncalls));
diag('SQLSTATEs: ' . join(', ', map { "$_ x$by_state{$_}" } sort keys %by_state));

$node->stop;
done_testing();
