#!/usr/bin/env python3
"""pty_drive.py -- runs a program on a pseudo-terminal and answers its
prompts, as a person at a terminal would (ssh, su and passwd read passwords
from their terminal, not from standard input).

    pty_drive.py SCRIPT TIMEOUT PROGRAM [ARG...]

SCRIPT is a file of lines "PROMPT<TAB>ANSWER": each time the output since the
last answer ends with text matching the regular expression PROMPT (searched
in order: the first line not used yet that matches), ANSWER and a newline
are typed.  Every line is used at most once.  Everything the program printed
goes to standard output; the exit status is the program's, 124 after TIMEOUT
seconds (the program is killed)."""
import os
import pty
import re
import select
import signal
import sys
import time


def main():
    script, limit, argv = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
    steps = []
    with open(script, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line:
                prompt, answer = line.split("\t", 1)
                steps.append((re.compile(prompt + r"\s*$"), answer))
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(argv[0], argv)
    seen, pending, deadline = b"", b"", time.monotonic() + limit
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            sys.stdout.write(seen.decode("utf-8", "replace"))
            return 124
        r, _, _ = select.select([fd], [], [], min(left, 0.2))
        if r:
            try:
                data = os.read(fd, 4096)
            except OSError:
                data = b""
            if not data:
                break
            seen += data
            pending += data
            text = pending.decode("utf-8", "replace")
            for i, (prompt, answer) in enumerate(steps):
                if prompt.search(text):
                    del steps[i]
                    pending = b""
                    os.write(fd, answer.encode() + b"\n")
                    break
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(seen.decode("utf-8", "replace"))
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main())
