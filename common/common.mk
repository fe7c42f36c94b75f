# common/ -> $(BUILD)/libpf.a, linked into every program and test.
COMMON_SRCS := $(sort $(wildcard common/*.c))
COMMON_OBJS := $(COMMON_SRCS:%.c=$(BUILD)/%.o)
LIBPF := $(BUILD)/libpf.a
LIBS += $(LIBPF)

# The newest migration the binaries were built with, and the migrations
# themselves, so polarctl needs no share/ directory to migrate.
SQL_FILES := $(sort $(wildcard sql/[0-9][0-9][0-9][0-9]_*.sql))

$(BUILD)/gen/pf_schema.h $(BUILD)/gen/migrations.c &: $(SQL_FILES) tools/gensql.sh
	@mkdir -p $(BUILD)/gen
	tools/gensql.sh $(BUILD)/gen $(SQL_FILES)

$(COMMON_OBJS): $(BUILD)/gen/pf_schema.h

$(LIBPF): $(COMMON_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^
