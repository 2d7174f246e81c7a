# packaging/: systemd units, default configuration files, Debian and RPM
# packaging.
#
# Units go to $(systemdunitdir), by default $(prefix)/lib/systemd/system
# (/usr/lib/systemd/system for prefix=/usr). Distributions that keep units
# elsewhere pass it to make: `make install systemdunitdir=/lib/systemd/system`
# (debian/rules and the RPM spec do).
systemdunitdir = $(prefix)/lib/systemd/system
dist_systemdunit_DATA = packaging/ecs-agent.service packaging/ecs-controlplane.service

# The configuration files are installed only where none exists yet: a
# `make install` over a configured host must not overwrite the operator's
# settings (the packages mark them as conffiles / %config(noreplace)
# instead). Uninstalling removes a file only while it is still the shipped
# default. Other fragments may add their own prerequisites to
# install-data-local / uninstall-local the same way.
packaging_conf = packaging/ecs-agent.conf packaging/ecs-controlplane.conf

install-data-local: install-packaging-conf
uninstall-local: uninstall-packaging-conf

install-packaging-conf:
	$(MKDIR_P) '$(DESTDIR)$(sysconfdir)'
	@for f in $(packaging_conf); do \
		dest='$(DESTDIR)$(sysconfdir)'/$$(basename $$f); \
		if test -e "$$dest"; then \
			echo "keeping existing $$dest"; \
		else \
			echo " $(INSTALL_DATA) $(srcdir)/$$f '$$dest'"; \
			$(INSTALL_DATA) '$(srcdir)'/$$f "$$dest" || exit 1; \
		fi; \
	done

uninstall-packaging-conf:
	@for f in $(packaging_conf); do \
		dest='$(DESTDIR)$(sysconfdir)'/$$(basename $$f); \
		if test -f "$$dest" && cmp -s '$(srcdir)'/$$f "$$dest"; then \
			echo " rm -f '$$dest'"; rm -f "$$dest"; \
		fi; \
	done

.PHONY: install-packaging-conf uninstall-packaging-conf

EXTRA_DIST += $(packaging_conf) packaging/README.md packaging/ecs-agent.spec \
	packaging/debian scripts/package-deb
