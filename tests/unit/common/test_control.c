/*
 * The built-in control verbs and the verb table, driven through a real
 * pf_ipc_server as the daemons do.
 */
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>

#include "common/config.h"
#include "common/control.h"
#include "common/daemon.h"
#include "common/err.h"
#include "common/ipc.h"
#include "common/log.h"
#include "common/msg.h"

static char		tmpdir[32];
static char		conf[64];
static char		url[128];
static struct pf_daemon	d;
static int		reload_calls;
static int		reload_result;
static char		echoed[64];

struct call {
	pthread_t	 th;
	json_t		*req;
	json_t		*reply;
	int		 rv;
	atomic_int	 done;
};

static void *
call_main(void *arg)
{
	struct call	*c = arg;

	c->rv = pf_ipc_call(url, c->req, &c->reply, 5000);
	atomic_store(&c->done, 1);
	return NULL;
}

static json_t *
status_hook(void)
{
	return json_pack("{s:i}", "answer", 42);
}

static int
reload_hook(const struct pf_config *ncfg, char *err, size_t errlen)
{
	(void)ncfg;
	reload_calls++;
	if (reload_result != PF_OK)
		snprintf(err, errlen, "the hook says no");
	return reload_result;
}

static void
echo_verb(struct pf_ipc_request *req, const json_t *body)
{
	json_t	*r;

	snprintf(echoed, sizeof(echoed), "%s",
	    json_string_value(json_object_get(body, "word")));
	r = json_pack("{s:s}", "echo", echoed);
	pf_ipc_request_reply(req, r);
	json_decref(r);
}

static const struct pf_ctl_verb verbs[] = {
	{ "test.echo",	echo_verb },
	{ NULL,		NULL }
};

static const struct pf_daemon_hooks hooks = {
	.reload = reload_hook,
	.status = status_hook,
	.verbs = verbs,
};

/* Sends req (stolen) and serves the socket until the reply is in. */
static json_t *
call(json_t *req)
{
	struct call	 c = { .req = req };
	struct pollfd	 pfd;
	json_t		*reply;
	int		 i;

	atomic_init(&c.done, 0);
	assert_int_equal(pthread_create(&c.th, NULL, call_main, &c), 0);
	for (i = 0; i < 500 && !atomic_load(&c.done); i++) {
		pfd.fd = pf_ipc_server_fd(d.ctl);
		pfd.events = POLLIN;
		(void)poll(&pfd, 1, 10);
		pf_ctl_handle(&d, &hooks);
	}
	assert_int_equal(pthread_join(c.th, NULL), 0);
	assert_int_equal(c.rv, PF_OK);
	json_decref(req);
	reply = c.reply;
	assert_non_null(reply);
	return reply;
}

static json_t *
call_type(const char *type)
{
	return call(pf_ipc_msg_new(type));
}

static void
write_conf(const char *text)
{
	FILE	*fp = fopen(conf, "w");

	assert_non_null(fp);
	fprintf(fp, "rundir = %s\n%s", tmpdir, text);
	fclose(fp);
}

static int
setup(void **state)
{
	char	err[256];

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/pfctl.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(conf, sizeof(conf), "%s/t.conf", tmpdir);
	write_conf("log_level = warning\n");
	pf_log_init("test_control", PF_LOG_INFO, PF_LOG_TEXT);
	memset(&d, 0, sizeof(d));
	d.prog = "test_control";
	d.conf_path = conf;
	if (pf_config_load(&d.cfg, conf, err, sizeof(err)) != PF_OK)
		return -1;
	pf_daemon_log_apply(&d);
	if (pf_ipc_url(url, sizeof(url), tmpdir, "t.ctl") != PF_OK ||
	    pf_ipc_server_open(&d.ctl, url, 0600) != PF_OK)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	char	path[96];

	(void)state;
	pf_ipc_server_close(d.ctl);
	pf_config_free(d.cfg);
	pf_ipc_fini();
	snprintf(path, sizeof(path), "%s/t.ctl", tmpdir);
	unlink(path);
	unlink(conf);
	rmdir(tmpdir);
	return 0;
}

static void
test_status(void **state)
{
	json_t	*r;

	(void)state;
	r = call_type(PF_MSG_STATUS);
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_string_equal(json_string_value(json_object_get(r, "type")),
	    "status");
	assert_int_equal(json_integer_value(json_object_get(r, "answer")), 42);
	json_decref(r);
}

/* log.brief goes back to the configured level, not to a fixed one. */
static void
test_log_verbose_brief(void **state)
{
	json_t	*r;

	(void)state;
	assert_int_equal(pf_log_get_level(), PF_LOG_WARNING);
	r = call_type(PF_MSG_LOG_VERBOSE);
	assert_string_equal(json_string_value(json_object_get(r, "level")),
	    "debug");
	assert_true(d.verbose);
	assert_int_equal(pf_log_get_level(), PF_LOG_DEBUG);
	json_decref(r);
	r = call_type(PF_MSG_LOG_BRIEF);
	assert_string_equal(json_string_value(json_object_get(r, "level")),
	    "warning");
	assert_false(d.verbose);
	assert_int_equal(pf_log_get_level(), PF_LOG_WARNING);
	json_decref(r);
}

static void
test_reload(void **state)
{
	json_t	*r;
	int	 calls = reload_calls;

	(void)state;
	write_conf("log_level = error\n");
	reload_result = PF_OK;
	r = call_type(PF_MSG_RELOAD);
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	assert_int_equal(reload_calls, calls + 1);
	assert_int_equal(d.cfg->log_level, PF_LOG_ERROR);
	assert_int_equal(pf_log_get_level(), PF_LOG_ERROR);

	/* verbose survives a reload */
	pf_ctl_verbose(&d, true);
	assert_int_equal(pf_ctl_reload(&d, &hooks, (char[64]){ 0 }, 64),
	    PF_OK);
	assert_int_equal(pf_log_get_level(), PF_LOG_DEBUG);
	pf_ctl_verbose(&d, false);
	assert_int_equal(pf_log_get_level(), PF_LOG_ERROR);
}

static void
test_reload_refused(void **state)
{
	json_t		*r;
	const char	*why;

	(void)state;
	/* the daemon's hook refuses: the old configuration stays */
	write_conf("log_level = debug\n");
	reload_result = PF_ERR_INVALID;
	r = call_type(PF_MSG_RELOAD);
	assert_int_equal(pf_ipc_reply_error(r, &why), PF_ERR_INVALID);
	assert_non_null(strstr(why, "the hook says no"));
	json_decref(r);
	assert_int_equal(d.cfg->log_level, PF_LOG_ERROR);

	/* a broken file never reaches the hook */
	reload_result = PF_OK;
	write_conf("no_such_key = 1\n");
	r = call_type(PF_MSG_RELOAD);
	assert_int_equal(pf_ipc_reply_error(r, &why), PF_ERR_INVALID);
	assert_non_null(strstr(why, "no_such_key"));
	json_decref(r);
	assert_int_equal(d.cfg->log_level, PF_LOG_ERROR);
	write_conf("log_level = warning\n");
	assert_int_equal(pf_ctl_reload(&d, &hooks, (char[64]){ 0 }, 64),
	    PF_OK);
}

static void
test_daemon_verbs(void **state)
{
	json_t		*r, *req;
	const char	*why;

	(void)state;
	req = pf_ipc_msg_new("test.echo");
	json_object_set_new(req, "word", json_string("hello"));
	r = call(req);
	assert_string_equal(json_string_value(json_object_get(r, "echo")),
	    "hello");
	assert_string_equal(echoed, "hello");
	json_decref(r);

	r = call_type("no.such.verb");
	assert_int_equal(pf_ipc_reply_error(r, &why), PF_ERR_INVALID);
	assert_string_equal(why, "unknown request type no.such.verb");
	json_decref(r);
}

static bool
has(const uid_t *u, size_t n, uid_t uid)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (u[i] == uid)
			return true;
	return false;
}

/* Root and the own uid always; names, numbers; unknown names skipped. */
static void
test_allow_resolve(void **state)
{
	struct pf_config	c;
	uid_t			u[PF_IPC_ALLOW_MAX];
	size_t			n;
	char			err[128];

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(pf_ctl_allow_resolve(&c, u, &n, err, sizeof(err)),
	    PF_OK);
	assert_int_equal(n, geteuid() == 0 ? 1 : 2);
	c.control_allow_users = "daemon, 4242\tno-such-user-here,,";
	assert_int_equal(pf_ctl_allow_resolve(&c, u, &n, err, sizeof(err)),
	    PF_OK);
	assert_int_equal(n, geteuid() == 0 ? 3 : 4);
	assert_true(has(u, n, 0));
	assert_true(has(u, n, geteuid()));
	assert_true(has(u, n, 1));	/* daemon */
	assert_true(has(u, n, 4242));
	c.control_allow_users = "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16";
	assert_int_equal(pf_ctl_allow_resolve(&c, u, &n, err, sizeof(err)),
	    PF_ERR_RANGE);
	assert_non_null(strstr(err, "more than"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_log_verbose_brief),
		cmocka_unit_test(test_reload),
		cmocka_unit_test(test_reload_refused),
		cmocka_unit_test(test_daemon_verbs),
		cmocka_unit_test(test_allow_resolve),
	};

	return cmocka_run_group_tests_name("control", tests, setup, teardown);
}
