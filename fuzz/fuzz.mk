# fuzz/ -> $(BUILD)/fuzz/fuzz_<target>: libFuzzer targets (make fuzz).
#
# Each fuzz/fuzz_<target>.c is one target: LLVMFuzzerTestOneInput feeding
# the real parser of one module; libFuzzer brings main().  The modules are
# compiled a second time with clang, instrumented for coverage and ASan +
# UBSan, into $(BUILD)/fuzz/obj/, and archived per component so a target
# links only what it calls, with the libraries the programs link.
#
# fuzz/corpus/<target>/ is the committed seed corpus (and every input that
# once crashed a target); fuzz/<target>.dict, when present, its dictionary.
# fuzz/run.sh replays the corpus, then fuzzes for a while; "make fuzz" runs
# every target for FUZZ_TIME seconds, "make check" for a short bounded time.
FUZZ_CC	?= clang
FUZZ_TIME ?= 60
FUZZ_SRCS := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_BINS := $(FUZZ_SRCS:fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_OBJ := $(BUILD)/fuzz/obj

# The build's flags minus gcc's sanitizers (SANITIZE=1), plus libFuzzer's
# coverage and the sanitizers every target runs with; a UBSan report aborts
# so libFuzzer keeps the input.
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
FUZZ_CFLAGS = $(filter-out -fsanitize=% -fno-sanitize-recover=%,$(CFLAGS)) \
	$(FUZZ_SAN) -fsanitize=fuzzer-no-link
FUZZ_LDFLAGS = $(filter-out -fsanitize=%,$(LDFLAGS)) $(FUZZ_SAN) \
	-fsanitize=fuzzer

FUZZ_LIBPF := $(BUILD)/fuzz/libpf.a
FUZZ_LIBAPID := $(BUILD)/fuzz/libapid.a
FUZZ_LIBSYNCD := $(BUILD)/fuzz/libsyncd.a
FUZZ_ARCHIVES := $(FUZZ_LIBSYNCD) $(FUZZ_LIBAPID) $(FUZZ_LIBPF)

# Without clang and with NODEPS=1 (nothing may be installed) the targets
# are left out of check-build; tests/run.sh then reports them as skipped.
# Otherwise a missing clang fails the build, as any missing tool does.
# The targets always carry ASan and UBSan, so "make check SANITIZE=1"
# neither builds nor runs them again: the plain pass already did.
ifneq ($(SANITIZE),1)
ifneq ($(NODEPS)$(shell command -v $(FUZZ_CC) 2>/dev/null),1)
TESTS += $(FUZZ_BINS)
endif
endif

$(FUZZ_OBJ)/%.o: %.c $(BUILD)/gen/pf_schema.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(FUZZ_LIBPF): $(COMMON_SRCS:%.c=$(FUZZ_OBJ)/%.o)
$(FUZZ_LIBAPID): $(APID_PURE:%.c=$(FUZZ_OBJ)/%.o)
# (syncd/syncd.mk is read after this file: its lists are not set yet)
$(FUZZ_LIBSYNCD): $(patsubst %.c,$(FUZZ_OBJ)/%.o,$(filter-out syncd/syncd.c, \
    $(wildcard syncd/*.c)))
$(FUZZ_ARCHIVES):
	@rm -f $@
	$(AR) rcs $@ $^

$(FUZZ_BINS): $(BUILD)/fuzz/%: $(FUZZ_OBJ)/fuzz/%.o $(FUZZ_ARCHIVES)
	$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $< $(FUZZ_ARCHIVES) $(PKG_LIBS)

.PHONY: fuzz
fuzz: deps
	@$(MAKE) --no-print-directory $(FUZZ_BINS)
	@BUILD=$(BUILD) fuzz/run.sh -t $(FUZZ_TIME)
