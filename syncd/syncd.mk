# syncd/ -> $(BUILD)/bin/polarflow-syncd, the Polar sync daemon.
SYNCD_SRCS := $(sort $(wildcard syncd/*.c))
SYNCD_OBJS := $(SYNCD_SRCS:%.c=$(BUILD)/%.o)
SYNCD := $(BUILD)/bin/polarflow-syncd
PROGS += $(SYNCD)
UNIT_OBJS_syncd := $(filter-out $(BUILD)/syncd/syncd.o,$(SYNCD_OBJS))

$(SYNCD_OBJS): $(BUILD)/gen/pf_schema.h

$(SYNCD): $(SYNCD_OBJS) $(LIBPF)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(SYNCD_OBJS) $(LIBPF) $(PKG_LIBS)

# A REQ client for the benchmark (not installed).
SYNCD_REQ := $(BUILD)/tests/syncd-req
TESTS += $(SYNCD_REQ)
SYNCD_REQ_OBJS := $(BUILD)/syncd/tools/syncd-req.o

$(SYNCD_REQ): $(SYNCD_REQ_OBJS) $(LIBPF)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(SYNCD_REQ_OBJS) $(LIBPF) $(PKG_LIBS)
