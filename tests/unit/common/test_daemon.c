#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/daemon.h"

static void
test_signals_become_readable_fd(void **state)
{
	struct pollfd	pfd;
	int		fd;

	(void)state;
	fd = pf_daemon_signals_init();
	assert_true(fd >= 0);
	assert_int_equal(pf_daemon_signals_init(), fd);	/* idempotent */
	assert_int_equal(pf_daemon_signals_take(), 0);
	raise(SIGHUP);
	raise(SIGUSR1);
	pfd.fd = fd;
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, 1000), 1);
	assert_int_equal(pf_daemon_signals_take(), PF_SIG_HUP | PF_SIG_USR1);
	assert_int_equal(poll(&pfd, 1, 0), 0);		/* drained */
	raise(SIGTERM);
	assert_int_equal(pf_daemon_signals_take(), PF_SIG_TERM);
	raise(SIGPIPE);					/* ignored */
}

static void
test_notify(void **state)
{
	struct sockaddr_un	sun;
	char			dir[] = "/tmp/pf_notify.XXXXXX", buf[64];
	ssize_t			n;
	int			fd;

	(void)state;
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(pf_daemon_notify("READY=1"), 0);	/* no systemd */
	assert_non_null(mkdtemp(dir));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/n", dir);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	setenv("NOTIFY_SOCKET", sun.sun_path, 1);
	assert_int_equal(pf_daemon_notify("READY=1"), 0);
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	assert_int_equal(n, 7);
	buf[n] = '\0';
	assert_string_equal(buf, "READY=1");
	setenv("NOTIFY_SOCKET", "relative/path", 1);
	assert_int_equal(pf_daemon_notify("READY=1"), -1);
	unsetenv("NOTIFY_SOCKET");
	close(fd);
	unlink(sun.sun_path);
	rmdir(dir);
}

static void
test_rundir(void **state)
{
	char	dir[] = "/tmp/pf_rundir.XXXXXX", sub[64];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/run", dir);
	assert_int_equal(pf_daemon_rundir(sub), 0);
	assert_int_equal(pf_daemon_rundir(sub), 0);
	assert_int_equal(pf_daemon_rundir("/etc/hostname"), -1);
	rmdir(sub);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signals_become_readable_fd),
		cmocka_unit_test(test_notify),
		cmocka_unit_test(test_rundir),
	};

	return cmocka_run_group_tests_name("daemon", tests, NULL, NULL);
}
