# notifiers.mk - what the notifiers (collector/notify*.c) need beyond the core.
#
# The unit tests of the notifiers run real receivers: a real Prometheus
# Alertmanager (tests/unit/test_notify_alertmanager.c), python3's http.server
# as a webhook receiver (test_notify_webhook.c), a stand-in sendmail script
# (test_notify_email.c).  The journal notifier needs libsystemd (core DEBS).

DEBS += prometheus-alertmanager python3
