# dashboard.mk - the collector's web interface (collector/http/, dashboards/).
#
#   make bench-dashboard  response times of graphs, pages and /metrics
#   make browser    headless Chromium loads the dashboard from a collector on
#                   127.0.0.1 and checks stores, the alert and every graph
#                   image (tests/browser/test_browser.sh); part of make check
#
# tests/integration/test_dashboard.sh runs with make integration; it needs
# curl and promtool (Debian prometheus), the browser test chromium and node.

DEBS += curl prometheus chromium nodejs fonts-dejavu-core python3
CHECK_EXTRA += browser

.PHONY: browser

browser: $(BINS) $(BUILD)/bench/sendtrace
	@BUILD=$(abspath $(BUILD)) tests/run-suite browser tests/browser/test_browser.sh

.PHONY: bench-dashboard
# Response times of the dashboard on this machine (prints, asserts nothing).
bench-dashboard: $(BINS)
	@BUILD=$(abspath $(BUILD)) bench/dashboard.sh
