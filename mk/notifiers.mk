# notifiers.mk - what the notifiers (collector/notify*.c) need beyond the core.
#
# The unit tests of the notifiers run real receivers: a real Prometheus
# Alertmanager (tests/unit/test_notify_alertmanager.c), python3's http.server
# as a webhook receiver in tests/integration/test_pipeline.sh, libmicrohttpd
# (core DEBS) as one in test_notify_webhook.c with an openssl-made certificate,
# a stand-in sendmail script (test_notify_email.c).  The journal notifier
# needs libsystemd (core DEBS).

DEBS += prometheus-alertmanager python3 openssl
