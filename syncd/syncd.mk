# syncd/ -> $(BUILD)/bin/polarflow-syncd, the Polar sync daemon.
#
# common/ipc.c is not on main yet: until it is, syncd builds its own copy
# (syncd/compat/), which drops out automatically once common/ipc.c exists.
SYNCD_SRCS := $(sort $(wildcard syncd/*.c))
ifeq ($(wildcard common/ipc.c),)
SYNCD_SRCS += syncd/compat/ipc.c
endif
SYNCD_OBJS := $(SYNCD_SRCS:%.c=$(BUILD)/%.o)
SYNCD := $(BUILD)/bin/polarflow-syncd
PROGS += $(SYNCD)
UNIT_OBJS_syncd := $(filter-out $(BUILD)/syncd/syncd.o,$(SYNCD_OBJS))

$(SYNCD_OBJS): $(BUILD)/gen/pf_schema.h

$(SYNCD): $(SYNCD_OBJS) $(LIBPF)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(SYNCD_OBJS) $(LIBPF) $(PKG_LIBS)

# A REQ client for the integration tests (not installed).
SYNCD_REQ := $(BUILD)/tests/syncd-req
TESTS += $(SYNCD_REQ)
SYNCD_REQ_OBJS := $(BUILD)/syncd/tools/syncd-req.o $(filter %/ipc.o,$(SYNCD_OBJS))

$(SYNCD_REQ): $(SYNCD_REQ_OBJS) $(LIBPF)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(SYNCD_REQ_OBJS) $(LIBPF) $(PKG_LIBS)
