/* test_agent_config.c - the agent's config file: good files and each error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "agent/config.h"
#include "testutil.h"

/* Loads text; returns the loader's result and leaves the message in err. */
static int load(const char *text, struct agent_config *cfg, char *err, size_t errlen)
{
	char path[256];

	tu_write(tu_dir, "agent.conf", text, path, sizeof path);
	err[0] = '\0';
	return agent_config_load(path, cfg, err, errlen);
}

static void test_good_file(void **state)
{
	struct agent_config cfg;
	char err[1024];
	(void)state;

	assert_int_equal(load("[agent]\n"
			      "name = evsrv01          ; identity sent to the collector\n"
			      "interval = 5m\n"
			      "state_dir = /var/lib/x\n"
			      "full_scan_interval = 6h\n"
			      "[collector]\n"
			      "address = 127.0.0.1:7405\n"
			      "[store bodycam]\n"
			      "path = /srv/evidence/bodycam\n"
			      "# a comment\n"
			      "[store cases]\n"
			      "path = /srv/evidence/cases\n",
			      &cfg, err, sizeof err),
			 0);
	assert_string_equal(cfg.name, "evsrv01");
	assert_int_equal(cfg.interval, 300);
	assert_int_equal(cfg.full_scan_interval, 6 * 3600);
	assert_string_equal(cfg.state_dir, "/var/lib/x");
	assert_string_equal(cfg.collector_host, "127.0.0.1");
	assert_int_equal(cfg.collector_port, 7405);
	assert_int_equal(cfg.nstores, 2);
	assert_string_equal(cfg.stores[0].name, "bodycam");
	assert_string_equal(cfg.stores[1].path, "/srv/evidence/cases");
	agent_config_release(&cfg);
}

static void test_defaults(void **state)
{
	struct agent_config cfg;
	char err[1024];
	(void)state;

	assert_int_equal(load("[agent]\nname=a\n[collector]\naddress=[::1]:9\n[store s]\npath=/x\n",
			      &cfg, err, sizeof err),
			 0);
	assert_int_equal(cfg.interval, AGENT_DEFAULT_INTERVAL);
	assert_int_equal(cfg.full_scan_interval, AGENT_DEFAULT_FULL_SCAN);
	assert_string_equal(cfg.state_dir, AGENT_DEFAULT_STATE_DIR);
	assert_string_equal(cfg.collector_host, "::1");
	assert_int_equal(cfg.removal_journal_keep, 400 * 86400);
	assert_int_equal(cfg.removal_journal_max, 256u << 20);
	assert_int_equal(cfg.inventory_depth, 0);
	agent_config_release(&cfg);
}

/* Each bad file is refused with a message containing the expected words. */
static void expect_error(const char *text, const char *words)
{
	struct agent_config cfg;
	char err[1024];

	assert_int_equal(load(text, &cfg, err, sizeof err), -1);
	if (!strstr(err, words))
		fail_msg("error '%s' does not mention '%s'", err, words);
	assert_non_null(strstr(err, "agent.conf"));
}

#define BASE "[agent]\nname=a\n[collector]\naddress=127.0.0.1:1\n"

static void test_errors(void **state)
{
	(void)state;
	expect_error(BASE "[store s]\npath=/x\ncolour=blue\n", ":7: [store s] colour: unknown key");
	expect_error(BASE "[stores]\npath=/x\n", ":6: [stores] path: unknown section");
	expect_error("[agent]\nname=a\nname=b\n", ":3: [agent] name: key given twice");
	expect_error("[agent]\nname=../x\n", "[agent] name: '../x' is not a valid agent name");
	expect_error("[agent]\nname=a\ninterval=fast\n", "[agent] interval: 'fast' is not a duration");
	expect_error("[agent]\nname=a\ninterval=2d\n", "[agent] interval:");
	expect_error("[agent]\nname=a\ninterval=0s\n", "[agent] interval:");
	expect_error("[agent]\nstate_dir=relative\n", "not an absolute path");
	expect_error("[agent]\nfull_scan_interval=sometimes\n", "full_scan_interval: 'sometimes' is not a duration");
	expect_error("[collector]\naddress=localhost\n", "is not HOST:PORT");
	expect_error("[collector]\naddress=127.0.0.1:70000\n", "is not HOST:PORT");
	expect_error(BASE "[store a/b]\npath=/x\n", "store name 'a/b' is not valid");
	expect_error(BASE "[store s]\npath=rel\n", "'rel' is not an absolute path");
	expect_error(BASE, "no [store NAME] section");
	expect_error("[collector]\naddress=127.0.0.1:1\n[store s]\npath=/x\n", "[agent] name: missing");
	expect_error("[agent]\nname=a\n[store s]\npath=/x\n", "[collector] address: missing");
	expect_error(BASE "[store s]\npath=/x\n[store t]\npath=/x\n", "is also store 's'");
	expect_error("this is not ini\n", ":1: syntax error");
}

/* deletion_watch: [agent] sets the default (auto without it), a store may
 * say otherwise. */
/* Issue 13's keys: hash_contents per directory store, hash_rate and
 * rehash_interval in [agent], with their defaults and bounds. */
static void test_hash_keys(void **state)
{
	struct agent_config cfg;
	char err[1024];
	(void)state;

	assert_int_equal(load("[agent]\nname=a\n[collector]\naddress=127.0.0.1:1\n[store s]\n"
			      "path=/x\n[store t]\npath=/y\nhash_contents=yes\n[store u]\npath=/z\n"
			      "hash_contents=no\n",
			      &cfg, err, sizeof err),
			 0);
	assert_int_equal(cfg.stores[0].hash_contents, 0);
	assert_int_equal(cfg.stores[1].hash_contents, 1);
	assert_int_equal(cfg.stores[2].hash_contents, 0);
	assert_int_equal(cfg.hash_rate, 20u << 20);
	assert_int_equal(cfg.rehash_interval, 30 * 86400);
	agent_config_release(&cfg);
	assert_int_equal(load("[agent]\nname=a\nhash_rate=5M\nrehash_interval=7d\n[collector]\n"
			      "address=127.0.0.1:1\n[store s]\npath=/x\n",
			      &cfg, err, sizeof err),
			 0);
	assert_int_equal(cfg.hash_rate, 5u << 20);
	assert_int_equal(cfg.rehash_interval, 7 * 86400);
	agent_config_release(&cfg);
	expect_error("[agent]\nhash_rate=1k\n", "hash_rate: '1k' is not a rate");
	expect_error("[agent]\nrehash_interval=10s\n", "rehash_interval: '10s' is not a duration");
	expect_error("[agent]\nhash_rate=1M\nhash_rate=2M\n", "key given twice");
	expect_error("[store s]\npath=/x\nhash_contents=maybe\n", "'maybe' is not yes or no");
	expect_error("[store s]\npath=/x\nhash_contents=no\nhash_contents=yes\n", "key given twice");
	/* an object store refuses hash_contents = yes: test_objstore.c */
}

/* Issue 12's keys: the removal journal and inventory depth, and the
 * manifest's home (state_dir) never inside a store. */
static void test_accounts_keys(void **state)
{
	struct agent_config cfg;
	char err[1024];
	(void)state;

	assert_int_equal(load("[agent]\nname=a\nremoval_journal_keep=30d\nremoval_journal_max=64M\n"
			      "inventory_depth=2\n[collector]\naddress=127.0.0.1:1\n[store s]\npath=/x\n",
			      &cfg, err, sizeof err),
			 0);
	assert_int_equal(cfg.removal_journal_keep, 30 * 86400);
	assert_int_equal(cfg.removal_journal_max, 64u << 20);
	assert_int_equal(cfg.inventory_depth, 2);
	agent_config_release(&cfg);
	expect_error("[agent]\nremoval_journal_keep=1h\n", "removal_journal_keep: '1h' is not a duration");
	expect_error("[agent]\nremoval_journal_max=10k\n", "removal_journal_max: '10k' is not a size");
	expect_error("[agent]\ninventory_depth=65\n", "inventory_depth: '65' is not a number");
	expect_error("[agent]\ninventory_depth=1\ninventory_depth=2\n", "key given twice");
	expect_error("[agent]\nname=a\nstate_dir=/srv/evidence/.sw\n[collector]\naddress=127.0.0.1:1\n"
		     "[store s]\npath=/srv/evidence/\n",
		     "state_dir: '/srv/evidence/.sw' is inside store 's'");
	expect_error("[agent]\nname=a\nstate_dir=/srv/x\n[collector]\naddress=127.0.0.1:1\n"
		     "[store s]\npath=/srv/x\n",
		     "is inside store 's'");
	/* a sibling whose name starts the same is not inside */
	assert_int_equal(load("[agent]\nname=a\nstate_dir=/srv/evidence2\n[collector]\n"
			      "address=127.0.0.1:1\n[store s]\npath=/srv/evidence\n",
			      &cfg, err, sizeof err),
			 0);
	agent_config_release(&cfg);
}

static void test_deletion_watch(void **state)
{
	struct agent_config cfg;
	char err[1024];
	(void)state;

	assert_int_equal(load(BASE "[store s]\npath=/x\n", &cfg, err, sizeof err), 0);
	assert_int_equal(cfg.stores[0].deletion_watch, AGENT_DELWATCH_AUTO);
	agent_config_release(&cfg);
	assert_int_equal(load("[agent]\nname=a\ndeletion_watch=no\n[collector]\naddress=127.0.0.1:1\n"
			      "[store s]\npath=/x\n[store t]\npath=/y\ndeletion_watch=yes\n",
			      &cfg, err, sizeof err),
			 0);
	assert_int_equal(cfg.stores[0].deletion_watch, AGENT_DELWATCH_NO);
	assert_int_equal(cfg.stores[1].deletion_watch, AGENT_DELWATCH_YES);
	agent_config_release(&cfg);
	expect_error(BASE "[store s]\npath=/x\ndeletion_watch=maybe\n",
		     "deletion_watch: 'maybe' is not auto, yes or no");
	expect_error(BASE "[store s]\npath=/x\ndeletion_watch=yes\ndeletion_watch=no\n",
		     "deletion_watch: key given twice");
}

static void test_missing_file(void **state)
{
	struct agent_config cfg;
	char err[1024];
	(void)state;

	assert_int_equal(agent_config_load("/nonexistent/agent.conf", &cfg, err, sizeof err), -1);
	assert_non_null(strstr(err, "/nonexistent/agent.conf: cannot open: No such file"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_deletion_watch),
		cmocka_unit_test(test_accounts_keys),
		cmocka_unit_test(test_hash_keys),
		cmocka_unit_test(test_missing_file),
	};
	return cmocka_run_group_tests_name("agent_config", tests, tu_setup_dir, tu_teardown_dir);
}
