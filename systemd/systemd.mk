# systemd/ -- units with the install paths substituted.
SYSTEMDUNITDIR ?= $(LIBDIR)/systemd/system
SYSUSERSDIR ?= $(LIBDIR)/sysusers.d
TMPFILESDIR ?= $(LIBDIR)/tmpfiles.d
UNITS_IN := $(wildcard systemd/*.service.in)
UNITS := $(UNITS_IN:systemd/%.in=$(BUILD)/systemd/%) $(BUILD)/systemd/polarflow.target

all: $(UNITS)

$(BUILD)/systemd/%: systemd/%.in
	@mkdir -p $(@D)
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	    $< > $@

$(BUILD)/systemd/polarflow.target: systemd/polarflow.target
	@mkdir -p $(@D)
	cp $< $@

.PHONY: install-systemd
install: install-systemd
install-systemd: $(UNITS)
	install -d $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(SYSUSERSDIR) \
	    $(DESTDIR)$(TMPFILESDIR)
	install -m 0644 $(UNITS) $(DESTDIR)$(SYSTEMDUNITDIR)/
	install -m 0644 systemd/polarflow.sysusers \
	    $(DESTDIR)$(SYSUSERSDIR)/polarflow.conf
	install -m 0644 systemd/polarflow.tmpfiles \
	    $(DESTDIR)$(TMPFILESDIR)/polarflow.conf
