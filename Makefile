# cognomega — PGXS build.  The version comes from cognomega.control; the
# install script for that version is assembled from sql/src/*.sql (one file
# per capability, concatenated in name order) into build/, so capabilities
# stay apart.  Released versions are frozen in sql/: their install scripts
# (cognomega--A.sql) and the upgrade scripts (cognomega--A--B.sql).
#
# Releasing version B after A: copy build/cognomega--A.sql to sql/, set
# default_version = 'B' in cognomega.control, and write
# sql/cognomega--A--B.sql with every change made to sql/src since A;
# test/t/012_upgrade.pl checks that A + ALTER EXTENSION UPDATE equals a
# fresh B.
#
# Tests, as PGXS users expect them (each list is the directory it names,
# and scripts/test reads the same directories):
#   make installcheck         regression and isolation suites, then the TAP
#                             tests, against the running server ($PGPORT,
#                             ...), which must preload the library with the
#                             settings of test/regress.conf; TAP_TESTS= on
#                             the command line leaves the TAP tests out
#   make prove_installcheck   the TAP tests alone (each makes its clusters)
# Builds from another directory work (make -f ../Makefile, VPATH=..., as
# pg_buildext does), and so does make -j.
#
# make dist: the tarball PGXN takes, from git archive of HEAD.

EXTENSION  = cognomega
EXTVERSION = $(shell sed -n "s/^default_version[[:space:]]*=[[:space:]]*'\(.*\)'/\1/p" $(srcdir)/$(EXTENSION).control)

# srcdir is set by PGXS (below) to the source tree, also in VPATH builds;
# these lists are expanded where they are used, after it is set
MODULE_big = cognomega
OBJS       = $(patsubst $(srcdir)/%.c,%.o,$(sort $(wildcard $(srcdir)/src/*.c)))

DATA_built = build/$(EXTENSION)--$(EXTVERSION).sql
DATA       = $(patsubst $(srcdir)/%,%,$(wildcard $(srcdir)/sql/$(EXTENSION)--*.sql))

REGRESS        = $(sort $(basename $(notdir $(wildcard $(srcdir)/test/sql/*.sql))))
REGRESS_OPTS   = --inputdir=$(srcdir)/test --encoding=UTF8 --no-locale
ISOLATION      = $(sort $(basename $(notdir $(wildcard $(srcdir)/test/specs/*.spec))))
ISOLATION_OPTS = --inputdir=$(srcdir)/test --encoding=UTF8 --no-locale
TAP_TESTS      = 1
PROVE_TESTS    = $(patsubst $(srcdir)/%,%,$(sort $(wildcard $(srcdir)/test/t/*.pl)))

PG_CPPFLAGS = -I$(srcdir)/src
PG_CFLAGS   = -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare \
              -Wno-missing-field-initializers -Wno-cast-function-type
ifdef WERROR
PG_CFLAGS  += -Werror
endif

EXTRA_CLEAN = build results regression.diffs regression.out tmp_check output_iso log

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# the databases the suites expect (PGXS would name them contrib_regression...)
CONTRIB_TESTDB   = cognomega_regress
ISOLATION_TESTDB = cognomega_isolation
# (after the include: Makefile.global empties it) the TAP tests' own module
PROVE_FLAGS      = -I test/t

build/$(EXTENSION)--$(EXTVERSION).sql: $(sort $(wildcard $(srcdir)/sql/src/*.sql)) $(srcdir)/$(EXTENSION).control
	@mkdir -p build
	cat $(sort $(wildcard $(srcdir)/sql/src/*.sql)) > $@

# a VPATH build compiles src/*.c into src/ of the build directory
$(OBJS): | objdir
objdir:
	@mkdir -p src
.PHONY: objdir dist prove_installcheck

# PGXS defines the recipe (installcheck runs it too, with TAP_TESTS = 1);
# this names it as a target of its own
prove_installcheck:
	$(prove_installcheck)

dist:
	git -C $(srcdir) archive --format=zip --prefix=$(EXTENSION)-$(EXTVERSION)/ \
		-o $(abspath $(EXTENSION)-$(EXTVERSION).zip) HEAD
