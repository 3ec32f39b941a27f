# deb.mk - Debian packages and the packaging checks (packaging/).
#
#   make deb            build shrinkwatch-agent, shrinkwatch-collector and
#                       shrinkwatch-tools .debs into $(BUILD)/deb/
#   make package-check  build them, then lintian, systemd-analyze verify and
#                       security, and an install into a scratch root
#                       (tests/packaging/package-check.sh); part of make check
#
# dpkg-buildpackage runs in a copy of the tree under $(BUILD)/deb/, with
# packaging/debian/ copied to debian/ there, so the work tree itself never
# holds a debian/ directory or build products of the package build.

DEBS += debhelper dpkg-dev fakeroot lintian systemd man-db util-linux
# tests/integration/test_sd_service.sh plays systemd's side of the protocol
DEBS += python3
CHECK_EXTRA += package-check

SW_VERSION := $(shell sed -n 's/^\#define SHRINKWATCH_VERSION "\(.*\)"/\1/p' include/shrinkwatch/version.h)
DEB_DIR := $(BUILD)/deb
DEB_SRC := $(DEB_DIR)/shrinkwatch-$(SW_VERSION)

.PHONY: deb package-check

deb:
	@v=$$(dpkg-parsechangelog -l packaging/debian/changelog -S Version); \
	[ "$$v" = "$(SW_VERSION)" ] || { echo "deb: debian/changelog says $$v, version.h says $(SW_VERSION)" >&2; exit 1; }
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_SRC)
	tar -C . --exclude=./.git --exclude=./build --exclude='./$(BUILD)' -cf - . | tar -C $(DEB_SRC) -xf -
	rm -rf $(DEB_SRC)/debian
	cp -a packaging/debian $(DEB_SRC)/debian
	cd $(DEB_SRC) && DEB_BUILD_OPTIONS="nocheck noddebs $(DEB_BUILD_OPTIONS)" \
		dpkg-buildpackage -b -us -uc
	@ls -1 $(DEB_DIR)/*.deb

package-check: deb
	@BUILD=$(abspath $(BUILD)) tests/packaging/package-check.sh $(abspath $(DEB_DIR))
