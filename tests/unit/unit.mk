# tests/unit/<component>/test_<module>.c -> $(BUILD)/tests/unit/<component>/test_<module>
#
# A component whose tests need its own objects (not main) sets
# UNIT_OBJS_<component> in its .mk, e.g. in syncd/syncd.mk
# UNIT_OBJS_syncd := $(filter-out $(BUILD)/syncd/syncd.o,$(SYNCD_OBJS)).
UNIT_SRCS := $(sort $(wildcard tests/unit/*/test_*.c))
UNIT_BINS := $(UNIT_SRCS:%.c=$(BUILD)/%)
TESTS += $(UNIT_BINS)

.SECONDEXPANSION:
# No '%' inside the secondary expansion: a static pattern rule would
# substitute the stem into it.  For build/tests/unit/syncd/test_window the
# stem $* is syncd/test_window, its first word split at '/' is syncd, and the
# prerequisites expand to
#   build/tests/unit/syncd/test_window.o $(UNIT_OBJS_syncd) build/libpf.a
$(UNIT_BINS): $(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o \
    $$(UNIT_OBJS_$$(firstword $$(subst /, ,$$*))) $(LIBPF)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIBPF) $(PKG_LIBS) -lcmocka
