# cognomega — PGXS build.  The version comes from cognomega.control; the
# install script for that version is assembled from sql/src/*.sql (one file
# per capability, concatenated in name order) so capabilities stay apart.

EXTENSION  = cognomega
EXTVERSION = $(shell sed -n "s/^default_version[[:space:]]*=[[:space:]]*'\(.*\)'/\1/p" $(EXTENSION).control)

MODULE_big = cognomega
OBJS       = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))

DATA_built = sql/$(EXTENSION)--$(EXTVERSION).sql
DATA       = $(filter-out $(DATA_built),$(wildcard sql/$(EXTENSION)--*--*.sql))

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

sql/$(EXTENSION)--$(EXTVERSION).sql: $(sort $(wildcard sql/src/*.sql)) $(EXTENSION).control
	cat $(sort $(wildcard sql/src/*.sql)) > $@
