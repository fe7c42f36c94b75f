# tools/ -> $(BUILD)/tools/pf_hrv: the HRV analysis of common/hrv.c on RR
# intervals from standard input, as JSON (tests/integration's reference
# test drives it).  Built with the tests.
PF_HRV_BIN := $(BUILD)/tools/pf_hrv
TESTS += $(PF_HRV_BIN)

$(PF_HRV_BIN): $(BUILD)/tools/pf_hrv.o $(LIBPF)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(BUILD)/tools/pf_hrv.o $(LIBPF) $(PKG_LIBS)

# bench/bench_hrv: pf_hrv_analyze() on a 5-minute session ("make bench"
# runs every $(BUILD)/bench/bench_*).
BENCH_HRV_BIN := $(BUILD)/bench/bench_hrv
BENCHES += $(BENCH_HRV_BIN)

$(BENCH_HRV_BIN): $(BUILD)/bench/bench_hrv.o $(LIBPF)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(BUILD)/bench/bench_hrv.o $(LIBPF) $(PKG_LIBS)
