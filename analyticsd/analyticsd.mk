# analyticsd/ -> $(BUILD)/bin/polarflow-analyticsd, personal analytics.
# The pure computation layer and the I/O files are linked into the unit
# tests; only main (analyticsd.c) is left out.
ANALYTICSD_SRCS := $(sort $(wildcard analyticsd/*.c))
ANALYTICSD_OBJS := $(ANALYTICSD_SRCS:%.c=$(BUILD)/%.o)
ANALYTICSD_LIBOBJS := $(filter-out $(BUILD)/analyticsd/analyticsd.o,$(ANALYTICSD_OBJS))
ANALYTICSD := $(BUILD)/bin/polarflow-analyticsd
PROGS += $(ANALYTICSD)
UNIT_OBJS_analyticsd := $(ANALYTICSD_LIBOBJS)

$(ANALYTICSD_OBJS): $(BUILD)/gen/pf_schema.h

$(ANALYTICSD): $(ANALYTICSD_OBJS) $(LIBPF)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(ANALYTICSD_OBJS) $(LIBPF) $(PKG_LIBS)
