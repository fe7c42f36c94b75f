# systemd/ -- units, sysusers.d and tmpfiles.d with the install paths
# substituted.  They go under $(PREFIX)/lib (systemd reads /usr/lib and
# /usr/local/lib), not under LIBDIR, which may be a multiarch directory.
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
UNITS_IN := $(wildcard systemd/*.service.in)
UNITS := $(UNITS_IN:systemd/%.in=$(BUILD)/systemd/%) $(BUILD)/systemd/polarflow.target
SYSTEMD_TMPFILES := $(BUILD)/systemd/polarflow.tmpfiles
SYSTEMD_PATHS := $(BUILD)/systemd/paths

all: $(UNITS) $(SYSTEMD_TMPFILES)

# The substituted paths; a change of one remakes the files below.
$(SYSTEMD_PATHS): FORCE
	$(call pf_update,$@,SBINDIR=$(SBINDIR) SYSCONFDIR=$(SYSCONFDIR))

SYSTEMD_SED = sed -e 's|@SBINDIR@|$(SBINDIR)|g' \
	-e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g'

$(BUILD)/systemd/%: systemd/%.in $(SYSTEMD_PATHS)
	@mkdir -p $(@D)
	$(SYSTEMD_SED) $< > $@

$(SYSTEMD_TMPFILES): systemd/polarflow.tmpfiles $(SYSTEMD_PATHS)
	@mkdir -p $(@D)
	$(SYSTEMD_SED) $< > $@

$(BUILD)/systemd/polarflow.target: systemd/polarflow.target
	@mkdir -p $(@D)
	cp $< $@

.PHONY: install-systemd
install: install-systemd
install-systemd: $(UNITS) $(SYSTEMD_TMPFILES)
	install -d $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(SYSUSERSDIR) \
	    $(DESTDIR)$(TMPFILESDIR)
	install -m 0644 $(UNITS) $(DESTDIR)$(SYSTEMDUNITDIR)/
	install -m 0644 systemd/polarflow.sysusers \
	    $(DESTDIR)$(SYSUSERSDIR)/polarflow.conf
	install -m 0644 $(SYSTEMD_TMPFILES) \
	    $(DESTDIR)$(TMPFILESDIR)/polarflow.conf

.PHONY: uninstall-systemd
uninstall: uninstall-systemd
uninstall-systemd:
	rm -f $(addprefix $(DESTDIR)$(SYSTEMDUNITDIR)/,$(notdir $(UNITS)))
	rm -f $(DESTDIR)$(SYSUSERSDIR)/polarflow.conf \
	    $(DESTDIR)$(TMPFILESDIR)/polarflow.conf
