# apid/ -> $(BUILD)/lib/apid.so (the kore module) and
# $(BUILD)/bin/polarflow-apid (renders kore's config, execs kore).
#
# Everything linked into the .so is compiled -fPIC with kore's feature
# flags (they change struct http_request's layout, so an object built
# without them reads the wrong fields), so common/ is compiled a second
# time into $(BUILD)/pic/.
#
# Every apid/*.c but launcher.c goes into the .so.  A file that includes
# apid_kore.h or request.h lives inside kore; the others are pure (no
# kore) and are also linked into the unit tests and bench/apid_sql.

KORE_FEATURES := $(shell cat /usr/share/kore/features 2>/dev/null)
APID_SRCS := $(filter-out apid/launcher.c,$(sort $(wildcard apid/*.c)))
APID_KORE := $(shell grep -l -e '"apid/apid_kore.h"' -e '"apid/request.h"' \
	$(APID_SRCS))
APID_PURE := $(filter-out $(APID_KORE),$(APID_SRCS))
APID_SO := $(BUILD)/lib/apid.so
APID_BIN := $(BUILD)/bin/polarflow-apid
APID_PIC_OBJS := $(patsubst %.c,$(BUILD)/pic/%.o,$(APID_SRCS) $(COMMON_SRCS))
APID_OPENAPI_O := $(BUILD)/pic/apid/openapi.o

LIBS += $(APID_SO)
PROGS += $(APID_BIN)
UNIT_OBJS_apid := $(APID_PURE:%.c=$(BUILD)/%.o)

# kore is not linked with the ASan runtime, so an ASan module cannot load
# into it (the runtime must come first in the process): under SANITIZE=1
# the module is built without sanitizers.  Its pure parts are sanitized in the unit tests, and
# syncd/analyticsd/polarctl, which share common/, run sanitized.
SO_CFLAGS = $(filter-out -fsanitize=% -fno-sanitize-recover=%,$(CFLAGS))
SO_LDFLAGS = $(filter-out -fsanitize=%,$(LDFLAGS))

$(BUILD)/pic/%.o: %.c $(BUILD)/gen/pf_schema.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(SO_CFLAGS) -fPIC $(KORE_FEATURES) $(DEPFLAGS) \
	    -c $< -o $@

# openapi.json is linked in as bytes (_binary_apid_openapi_json_start).
$(APID_OPENAPI_O): apid/openapi.json
	@mkdir -p $(@D)
	$(LD) -r -b binary -z noexecstack -o $@ apid/openapi.json

$(APID_SO): $(APID_PIC_OBJS) $(APID_OPENAPI_O)
	@mkdir -p $(@D)
	$(CC) $(SO_LDFLAGS) -shared -Wl,-z,noexecstack -o $@ $^ $(PKG_LIBS)

# The launcher finds apid.so at $(LIBDIR)/polarflow as seen from $(SBINDIR)
# (../lib/polarflow by default): relative to its own path, so a DESTDIR tree
# or a moved prefix works as well as the installed one.
APID_MODULE_REL := $(shell realpath -m -s --relative-to=$(SBINDIR) \
	$(LIBDIR)/polarflow)
$(BUILD)/gen/apid_paths.h: FORCE
	$(call pf_update,$@,#define APID_MODULE_DIR_REL "$(APID_MODULE_REL)")

$(BUILD)/apid/launcher.o: $(BUILD)/gen/apid_paths.h $(BUILD)/gen/pf_schema.h

$(APID_BIN): $(BUILD)/apid/launcher.o $(LIBPF)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(BUILD)/apid/launcher.o $(LIBPF) $(PKG_LIBS)

# bench helper: prints the statement of a route template (bench/apid_bench.py
# feeds it to pgbench to measure the database limit of that route).
APID_SQL_BIN := $(BUILD)/bench/apid_sql
BENCHES += $(APID_SQL_BIN)
$(APID_SQL_BIN): $(BUILD)/bench/apid_sql.o $(UNIT_OBJS_apid) $(LIBPF)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(BUILD)/bench/apid_sql.o $(UNIT_OBJS_apid) \
	    $(LIBPF) $(PKG_LIBS)

# The route table as text (apid/gen_openapi.py reads it): "make openapi"
# regenerates apid/openapi.json from it; tests/integration/test_openapi.py
# checks that the checked-in file is what the generator writes.
APID_ROUTES_BIN := $(BUILD)/tools/apid_routes
TESTS += $(APID_ROUTES_BIN)
$(APID_ROUTES_BIN): $(BUILD)/apid/tools/apid_routes.o $(UNIT_OBJS_apid) \
    $(LIBPF)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(BUILD)/apid/tools/apid_routes.o \
	    $(UNIT_OBJS_apid) $(LIBPF) $(PKG_LIBS)

.PHONY: openapi
openapi: $(APID_ROUTES_BIN)
	apid/gen_openapi.py $(APID_ROUTES_BIN) apid/openapi.json

# The admin console's static files, embedded in the module
# (tools/genassets.sh): vendored htmx and uPlot with our own CSS and JS.
CONSOLE_ASSETS := apid/console/console.css apid/console/console.js \
	apid/console/favicon.svg \
	apid/console/vendor/htmx/htmx.min.js \
	apid/console/vendor/uplot/uPlot.iife.min.js \
	apid/console/vendor/uplot/uPlot.min.css
CONSOLE_ASSETS_O := $(BUILD)/pic/gen/console_assets.o
$(BUILD)/gen/console_assets.c: $(CONSOLE_ASSETS) tools/genassets.sh
	@mkdir -p $(@D)
	tools/genassets.sh $@ $(CONSOLE_ASSETS)
$(CONSOLE_ASSETS_O): $(BUILD)/gen/console_assets.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(SO_CFLAGS) -fPIC $(KORE_FEATURES) -c $< -o $@
$(APID_SO): $(CONSOLE_ASSETS_O)
