# analyticsd/ -- personal analytics.  Only the pure computation layer
# exists so far; it is linked into the unit tests (no program yet).
ANALYTICSD_LIBOBJS := $(patsubst %.c,$(BUILD)/%.o,$(filter-out analyticsd/analyticsd.c analyticsd/main.c,$(wildcard analyticsd/*.c)))
UNIT_OBJS_analyticsd := $(ANALYTICSD_LIBOBJS)

