#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "idm_error.h"
#include "prompt.h"

#define PASSWORD_MAX 4096

int prompt_password(const char *prompt, char **out)
{
	struct termios old, quiet;
	char *buf;
	size_t n = 0;
	int fd, r = IDM_OK;

	*out = NULL;
	fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr,
			"idmgr: no terminal to read the password from; use a password file\n");
		return IDM_EINVAL;
	}
	buf = calloc(1, PASSWORD_MAX + 1);
	if (!buf) {
		close(fd);
		return IDM_ENOMEM;
	}
	if (write(fd, prompt, strlen(prompt)) < 0 || tcgetattr(fd, &old) < 0) {
		r = IDM_EIO;
		goto out;
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	if (tcsetattr(fd, TCSAFLUSH, &quiet) < 0) {
		r = IDM_EIO;
		goto out;
	}
	for (;;) {
		char ch;
		ssize_t k = read(fd, &ch, 1);
		if (k <= 0 || ch == '\n' || ch == '\r')
			break;
		if (n < PASSWORD_MAX)
			buf[n++] = ch;
		else
			r = IDM_EINVAL;
	}
	tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) < 0)
		r = r ? r : IDM_EIO;
out:
	close(fd);
	if (r < 0) {
		explicit_bzero(buf, PASSWORD_MAX);
		free(buf);
		return r;
	}
	*out = buf;
	return IDM_OK;
}
