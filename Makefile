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

EXTENSION  = cognomega
EXTVERSION = $(shell sed -n "s/^default_version[[:space:]]*=[[:space:]]*'\(.*\)'/\1/p" $(EXTENSION).control)

MODULE_big = cognomega
OBJS       = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))

DATA_built = build/$(EXTENSION)--$(EXTVERSION).sql
DATA       = $(wildcard sql/$(EXTENSION)--*.sql)

PG_CPPFLAGS = -I$(srcdir)/src
PG_CFLAGS   = -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare \
              -Wno-missing-field-initializers -Wno-cast-function-type
ifdef WERROR
PG_CFLAGS  += -Werror
endif

EXTRA_CLEAN = results regression.diffs regression.out tmp_check output_iso log

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

build/$(EXTENSION)--$(EXTVERSION).sql: $(sort $(wildcard sql/src/*.sql)) $(EXTENSION).control
	@mkdir -p build
	cat $(sort $(wildcard sql/src/*.sql)) > $@
