# polar-flow-server in C -- top-level, non-recursive GNU Makefile.
#
#   make            build everything into $(BUILD)/
#   make check      install missing packages, build, run unit + integration
#                   tests and each fuzz target briefly (FUZZ_CHECK_TIME=15)
#   make run        install missing packages, build, start the demo stack
#   make bench      run the benchmarks under bench/
#   make fuzz       build the libFuzzer targets (fuzz/, clang) and run each
#                   for FUZZ_TIME seconds (default 60) after replaying its
#                   corpus; crashes land in $(BUILD)/fuzz/crashes/
#   make lint       mandoc -Tlint, header self-containment, OpenAPI lint
#   make check-fresh  .ci/run in a bare Debian 12 root (debootstrap, nspawn)
#   make check-boot   README's production install on a booted Debian 12
#                     (systemd-nspawn -b), then its privilege separation
#   make install    PREFIX=/usr/local DESTDIR=  (make uninstall: the same)
#
# SANITIZE=1 builds with ASan+UBSan into build-san/ (fails on first report).
# NODEPS=1 skips scripts/deps.sh (no package installs) in check, run, bench.
# WERROR=0 drops -Werror.

# Install paths.  SYSCONFDIR is /etc/polarflow whatever PREFIX is: it is
# where every program looks for polarflow.conf without -f (PF_CONFIG_PATH in
# common/config.h) and what the manuals document; the units pass it with -f.
# Files made from these paths (the units, apid's module path) are rebuilt
# when a path changes, so "make && make install PREFIX=/usr" is consistent.
PREFIX	?= /usr/local
DESTDIR	?=
SBINDIR	?= $(PREFIX)/sbin
LIBDIR	?= $(PREFIX)/lib
DATADIR	?= $(PREFIX)/share/polarflow
MANDIR	?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc/polarflow

CC	?= cc
SANITIZE ?= 0
WERROR	?= 1

ifeq ($(SANITIZE),1)
BUILD	?= build-san
else
BUILD	?= build
endif

PKGS	:= libpq libcurl jansson libsodium
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lnng -lyajl -lpthread -lm

# CFLAGS, CPPFLAGS and LDFLAGS are the user's: "make CFLAGS=-O0" replaces
# CFLAGS only.  What the build needs whatever they say (include paths, the
# language, the warnings, the sanitizers) is in PF_* and appended with
# 'override', so it reaches every rule, a command-line value included.
CFLAGS	?= -O2 -g
PF_CPPFLAGS := -I. -I$(BUILD)/gen -D_GNU_SOURCE $(PKG_CFLAGS)
PF_CFLAGS := -std=c11 -Wall -Wextra -Wshadow \
	   -Wstrict-prototypes -Wmissing-prototypes -Wmissing-declarations \
	   -Wpointer-arith -Wsign-compare -Wtype-limits -fno-common \
	   -fstack-protector-strong
PF_LDFLAGS :=
ifeq ($(WERROR),1)
PF_CFLAGS += -Werror
endif
ifeq ($(SANITIZE),1)
PF_CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=all \
	   -fno-omit-frame-pointer
PF_LDFLAGS += -fsanitize=address,undefined
endif
override CPPFLAGS += $(PF_CPPFLAGS)
override CFLAGS += $(PF_CFLAGS)
override LDFLAGS += $(PF_LDFLAGS)
DEPFLAGS = -MMD -MP

PROGS	:=
LIBS	:=
TESTS	:=
CLEANFILES :=

.PHONY: all check check-build check-fresh check-boot unit integration bench run install \
	uninstall lint clean deps FORCE
all:
FORCE:

# $(call pf_update,FILE,TEXT) as a recipe: FILE holds the one line TEXT,
# rewritten only when TEXT changed (FILE depends on FORCE), so what depends
# on FILE is rebuilt exactly when a make variable in TEXT changed.
define pf_update
	@mkdir -p $(dir $(1))
	@printf '%s\n' '$(2)' > $(1).tmp
	@if cmp -s $(1).tmp $(1); then rm -f $(1).tmp; else mv -f $(1).tmp $(1); fi
endef

# Each component contributes to PROGS, LIBS, TESTS from its own .mk file.
include common/common.mk
include $(sort $(filter-out common/common.mk,$(wildcard */*.mk)))
include $(sort $(wildcard tests/*/*.mk))

all: $(LIBS) $(PROGS)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(DEPFLAGS) -c $< -o $@

deps:
ifneq ($(NODEPS),1)
	@scripts/deps.sh
endif

check-build: all $(TESTS)

check: deps
	@$(MAKE) --no-print-directory check-build
	@BUILD=$(BUILD) SANITIZE=$(SANITIZE) tests/run.sh

check-fresh:
	@scripts/check-fresh.sh

check-boot: all
	@BUILD=$(BUILD) scripts/check-boot.sh

unit: check-build
	@BUILD=$(BUILD) SANITIZE=$(SANITIZE) tests/run.sh unit

integration: check-build
	@BUILD=$(BUILD) SANITIZE=$(SANITIZE) tests/run.sh integration

bench: deps
	@$(MAKE) --no-print-directory all $(BENCHES)
	@BUILD=$(BUILD) bench/run.sh

run: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) scripts/run-demo.sh

lint: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) scripts/lint.sh

# install: programs, apid's kore module, migrations (for reference: the
# programs carry them compiled in), the sample configuration, manuals; the
# units come from systemd/systemd.mk.  polarflow.conf is installed from the
# sample only when there is none: an existing one is never overwritten.
# It is 0640 and, once the group exists, group polarflow (the daemons' group;
# the tmpfiles.d entry fixes the group on a first install).
MAN_PAGES := $(wildcard man/*.[578])
MAN_INSTALLED := $(foreach f,$(MAN_PAGES),\
	$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(f)))/$(notdir $(f)))
CONF	:= $(DESTDIR)$(SYSCONFDIR)/polarflow.conf
SAMPLE	:= $(DESTDIR)$(DATADIR)/polarflow.conf.sample

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBDIR)/polarflow \
	    $(DESTDIR)$(DATADIR)/sql $(DESTDIR)$(SYSCONFDIR) \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7 \
	    $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(PROGS) $(DESTDIR)$(SBINDIR)/
	install -m 0644 $(filter %.so,$(LIBS)) $(DESTDIR)$(LIBDIR)/polarflow/
	install -m 0644 $(SQL_FILES) $(DESTDIR)$(DATADIR)/sql/
	install -m 0644 etc/polarflow.conf.sample $(SAMPLE)
	for f in $(MAN_PAGES); do \
	    install -m 0644 $$f $(DESTDIR)$(MANDIR)/man$${f##*.}/ || exit 1; \
	done
	@if [ -e $(CONF) ] || [ -L $(CONF) ]; then \
	    echo "note: kept the existing $(CONF);" \
	        "the new sample is $(SAMPLE)"; \
	else \
	    echo "install -m 0640 etc/polarflow.conf.sample $(CONF)"; \
	    install -m 0640 etc/polarflow.conf.sample $(CONF) || exit 1; \
	    if [ -z "$(DESTDIR)" ] && getent group polarflow >/dev/null; then \
	        chgrp polarflow $(CONF); \
	    fi; \
	fi

# uninstall: everything install put there, and the directories it made once
# they are empty.  polarflow.conf goes only while it is the unchanged sample;
# an edited one is the administrator's and stays.
uninstall:
	@if [ -f $(CONF) ] && [ ! -L $(CONF) ]; then \
	    if cmp -s $(CONF) $(SAMPLE) || \
	        cmp -s $(CONF) etc/polarflow.conf.sample; then \
	        echo "rm -f $(CONF)"; rm -f $(CONF); \
	    else \
	        echo "note: kept $(CONF): it differs from the sample"; \
	    fi; \
	elif [ -e $(CONF) ] || [ -L $(CONF) ]; then \
	    echo "note: kept $(CONF): not a regular file"; \
	fi
	rm -f $(addprefix $(DESTDIR)$(SBINDIR)/,$(notdir $(PROGS)))
	rm -f $(addprefix $(DESTDIR)$(LIBDIR)/polarflow/,$(notdir \
	    $(filter %.so,$(LIBS))))
	rm -f $(SAMPLE) $(DESTDIR)$(DATADIR)/sql/[0-9][0-9][0-9][0-9]_*.sql
	rm -f $(MAN_INSTALLED)
	@for d in $(DESTDIR)$(DATADIR)/sql $(DESTDIR)$(DATADIR) \
	    $(DESTDIR)$(LIBDIR)/polarflow $(DESTDIR)$(SYSCONFDIR); do \
	    if [ -d $$d ] && rmdir $$d 2>/dev/null; then echo "rmdir $$d"; fi; \
	done

clean:
	rm -rf build build-san $(CLEANFILES)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
