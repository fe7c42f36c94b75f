# analyticsd/ -- personal analytics.  Only the pure computation layer
# exists so far; it is linked into the unit tests (no program yet).
ANALYTICSD_LIBOBJS := $(patsubst %.c,$(BUILD)/%.o,$(filter-out analyticsd/analyticsd.c analyticsd/main.c,$(wildcard analyticsd/*.c)))
UNIT_OBJS_analyticsd := $(ANALYTICSD_LIBOBJS)

# tests/unit/unit.mk's $$(UNIT_OBJS_...) prerequisite does not expand: in a
# static pattern rule make substitutes the stem for every '%' first, which
# breaks the inner patsubst.  Until that is fixed there, name the objects
# as extra prerequisites of our test binaries ($^ then carries them).
$(patsubst %.c,$(BUILD)/%,$(wildcard tests/unit/analyticsd/test_*.c)): \
    $(ANALYTICSD_LIBOBJS)
