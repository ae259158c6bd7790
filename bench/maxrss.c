/* maxrss: run a command, print its peak resident set in KiB (the command and the
 * descendants it waited for), as getrusage's ru_maxrss of the child.
 *
 * Why a helper and not Python: exec keeps the high-water mark of the memory it replaces in
 * the new program's ru_maxrss, so a child spawned from Python reports at least Python's own
 * ~17 MiB. This process, static and tiny, forks a copy of itself, so the floor is ~0.1 MiB.
 *
 * usage: maxrss SECONDS CMD [ARG...]   (SECONDS 0: no limit; else the command's session
 * is killed after SECONDS and the peak so far is printed). Output of CMD goes to /dev/null. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t child;

static void on_alarm(int sig)
{
	(void)sig;
	kill(-child, SIGKILL);
}

int main(int argc, char **argv)
{
	struct rusage ru;
	int status, fd;

	if (argc < 3) {
		fputs("usage: maxrss SECONDS CMD [ARG...]\n", stderr);
		return 2;
	}
	child = fork();
	if (child < 0)
		return 1;
	if (child == 0) {
		setsid();
		fd = open("/dev/null", O_WRONLY);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(argv[2], argv + 2);
		_exit(127);
	}
	signal(SIGALRM, on_alarm);
	alarm((unsigned)atoi(argv[1]));
	while (wait4(child, &status, 0, &ru) < 0)
		if (errno != EINTR)
			return 1;
	printf("%ld\n", ru.ru_maxrss);
	return 0;
}
