/*
 * fuzz_config.c -- the configuration parser (common/config.c).
 *
 * The input is a whole polarflow.conf, loaded through pf_config_load() from
 * a memory file.  A load that fails must say why; a load that succeeds
 * must dump (secrets shown) to a text that loads again into the same
 * configuration: the dump is what "polarctl config" shows and what an
 * administrator may paste back.
 */
#include <sys/mman.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "common/err.h"

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int	in_fd = -1, dump_fd = -1;
static char	in_path[64], dump_path[64];

static int
memfile(const char *name, char *path, size_t len)
{
	int	fd;

	if ((fd = memfd_create(name, MFD_CLOEXEC)) == -1) {
		perror("memfd_create");
		abort();
	}
	snprintf(path, len, "/proc/self/fd/%d", fd);
	return fd;
}

static void
fill(int fd, const void *p, size_t n)
{
	if (ftruncate(fd, 0) != 0 || (n > 0 && pwrite(fd, p, n, 0) !=
	    (ssize_t)n)) {
		perror("memfd write");
		abort();
	}
}

/* The configuration as pf_config_dump() writes it; caller frees. */
static char *
dump(const struct pf_config *cfg, size_t *len)
{
	char	*s = NULL;
	FILE	*fp;

	if ((fp = open_memstream(&s, len)) == NULL)
		abort();
	pf_config_dump(cfg, fp, true);
	if (fclose(fp) != 0)
		abort();
	return s;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* Only the input may configure: no POLARFLOW_* or upstream names. */
	clearenv();
	/*
	 * "api_key_file = /dev/stdin" must not wait for a terminal: a
	 * secret file is read whole.
	 */
	if (freopen("/dev/null", "r", stdin) == NULL)
		abort();
	in_fd = memfile("conf", in_path, sizeof(in_path));
	dump_fd = memfile("dump", dump_path, sizeof(dump_path));
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pf_config	*cfg = NULL, *again = NULL;
	char			 err[1024], *d1 = NULL, *d2 = NULL;
	size_t			 n1, n2;

	fill(in_fd, data, size);
	err[0] = '\0';
	if (pf_config_load(&cfg, in_path, err, sizeof(err)) != PF_OK) {
		if (err[0] == '\0' || memchr(err, '\0', sizeof(err)) == NULL) {
			fprintf(stderr, "failed load without a message\n");
			abort();
		}
		return 0;
	}
	d1 = dump(cfg, &n1);
	fill(dump_fd, d1, n1);
	if (pf_config_load(&again, dump_path, err, sizeof(err)) != PF_OK) {
		fprintf(stderr, "the dump does not load: %s\n%s", err, d1);
		abort();
	}
	d2 = dump(again, &n2);
	if (n1 != n2 || memcmp(d1, d2, n1) != 0) {
		fprintf(stderr, "the dump loads differently:\n%s---\n%s", d1,
		    d2);
		abort();
	}
	free(d1);
	free(d2);
	pf_config_free(cfg);
	pf_config_free(again);
	return 0;
}
