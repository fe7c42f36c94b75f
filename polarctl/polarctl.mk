# polarctl/ -> $(BUILD)/polarctl, the admin tool.
POLARCTL_SRCS := $(sort $(wildcard polarctl/*.c))
POLARCTL_OBJS := $(POLARCTL_SRCS:%.c=$(BUILD)/%.o) $(BUILD)/gen/migrations.o
POLARCTL := $(BUILD)/bin/polarctl
PROGS += $(POLARCTL)
UNIT_OBJS_polarctl := $(filter-out $(BUILD)/polarctl/main.o,$(POLARCTL_OBJS))

$(BUILD)/gen/migrations.o: $(BUILD)/gen/migrations.c
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(POLARCTL_OBJS): $(BUILD)/gen/pf_schema.h

$(POLARCTL): $(POLARCTL_OBJS) $(LIBPF)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(POLARCTL_OBJS) $(LIBPF) $(PKG_LIBS)
