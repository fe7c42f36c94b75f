# polar-flow-server in C -- top-level, non-recursive GNU Makefile.
#
#   make            build everything into $(BUILD)/
#   make check      install missing packages, build, run unit + integration tests
#   make run        install missing packages, build, start the demo stack
#   make bench      run the benchmarks under bench/
#   make lint       mandoc -Tlint, header self-containment
#   make install    PREFIX=/usr/local DESTDIR=
#
# SANITIZE=1 builds with ASan+UBSan into build-san/ (fails on first report).
# WERROR=0 drops -Werror.

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
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lnng -lpthread -lm

CFLAGS	?= -O2 -g
CFLAGS	+= -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow \
	   -Wstrict-prototypes -Wmissing-prototypes -Wmissing-declarations \
	   -Wpointer-arith -Wsign-compare -Wtype-limits -fno-common \
	   -fstack-protector-strong -I. -I$(BUILD)/gen
ifeq ($(WERROR),1)
CFLAGS	+= -Werror
endif
ifeq ($(SANITIZE),1)
CFLAGS	+= -fsanitize=address,undefined -fno-sanitize-recover=all \
	   -fno-omit-frame-pointer
LDFLAGS	+= -fsanitize=address,undefined
endif
CPPFLAGS += $(PKG_CFLAGS)
DEPFLAGS = -MMD -MP

PROGS	:=
LIBS	:=
TESTS	:=
CLEANFILES :=

.PHONY: all check check-build unit integration bench run install uninstall lint \
	clean deps
all:

# Each component contributes to PROGS, LIBS, TESTS from its own .mk file.
include common/common.mk
include $(sort $(filter-out common/common.mk,$(wildcard */*.mk)))
include $(sort $(wildcard tests/*/*.mk))

all: $(LIBS) $(PROGS)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(DEPFLAGS) -c $< -o $@

deps:
	@scripts/deps.sh

check-build: all $(TESTS)

check: deps
	@$(MAKE) --no-print-directory check-build
	@BUILD=$(BUILD) SANITIZE=$(SANITIZE) tests/run.sh

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

lint: all
	@scripts/lint.sh

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(DATADIR)/sql \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7 \
	    $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(PROGS) $(DESTDIR)$(SBINDIR)/
	install -d $(DESTDIR)$(LIBDIR)/polarflow
	install -m 0755 $(filter %.so,$(LIBS)) $(DESTDIR)$(LIBDIR)/polarflow/
	install -m 0644 sql/*.sql $(DESTDIR)$(DATADIR)/sql/
	install -m 0644 etc/polarflow.conf.sample $(DESTDIR)$(DATADIR)/
	for f in man/*.5; do install -m 0644 $$f $(DESTDIR)$(MANDIR)/man5/; done
	for f in $(wildcard man/*.7); do install -m 0644 $$f $(DESTDIR)$(MANDIR)/man7/; done
	for f in man/*.8; do install -m 0644 $$f $(DESTDIR)$(MANDIR)/man8/; done

uninstall:
	rm -f $(addprefix $(DESTDIR)$(SBINDIR)/,$(notdir $(PROGS)))
	rm -rf $(DESTDIR)$(DATADIR) $(DESTDIR)$(LIBDIR)/polarflow
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(wildcard man/*.5)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man7/,$(notdir $(wildcard man/*.7)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(wildcard man/*.8)))

clean:
	rm -rf build build-san $(CLEANFILES)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
