#!/usr/bin/env python3
"""A PAM application for the demo, in the user's language.

    pam_dialog.py SERVICE USER STEP...

STEP is authenticate, acct_mgmt, open_session, close_session or chauthtok
(the expired-password change, PAM_CHANGE_EXPIRED_AUTHTOK).  Like login or
sshd, it sets the locale from the environment (LANG, LC_ALL) before it
starts PAM: pam_idmgr.so speaks the application's language and never sets
one itself.  Password prompts are answered with the lines of standard input
(not echoed); every message the module sends is printed.  Stops at the first
step that does not return PAM_SUCCESS.  Real libpam through ctypes: no
PAM binding needs installing.
"""
import ctypes
import ctypes.util
import locale
import sys

PAM_PROMPT_ECHO_OFF, PAM_PROMPT_ECHO_ON, PAM_ERROR_MSG, PAM_TEXT_INFO = 1, 2, 3, 4
PAM_CHANGE_EXPIRED_AUTHTOK = 0x20
PAM_RHOST = 4


class Message(ctypes.Structure):
    _fields_ = [("msg_style", ctypes.c_int), ("msg", ctypes.c_char_p)]


class Response(ctypes.Structure):
    _fields_ = [("resp", ctypes.c_void_p), ("resp_retcode", ctypes.c_int)]


CONV = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int,
                        ctypes.POINTER(ctypes.POINTER(Message)),
                        ctypes.POINTER(ctypes.POINTER(Response)), ctypes.c_void_p)


class Conv(ctypes.Structure):
    _fields_ = [("conv", CONV), ("appdata_ptr", ctypes.c_void_p)]


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    locale.setlocale(locale.LC_ALL, "")
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.calloc.restype = ctypes.c_void_p
    libc.calloc.argtypes = [ctypes.c_size_t, ctypes.c_size_t]
    libc.strdup.restype = ctypes.c_void_p
    libc.strdup.argtypes = [ctypes.c_char_p]
    # libpam in the global scope, its functions looked up there: a
    # preloaded libpam_wrapper (the demo's PAM service folder) comes first
    ctypes.CDLL(ctypes.util.find_library("pam"), mode=ctypes.RTLD_GLOBAL)
    pam = ctypes.CDLL(None)
    pam.pam_strerror.restype = ctypes.c_char_p
    answers = [line.rstrip("\n") for line in sys.stdin]

    def conv(n, msgs, resp, _data):
        # libpam frees the responses: they come from the C heap
        out = ctypes.cast(libc.calloc(n, ctypes.sizeof(Response)), ctypes.POINTER(Response))
        for i in range(n):
            m = msgs[i].contents
            text = m.msg.decode("utf-8", "replace")
            if m.msg_style in (PAM_PROMPT_ECHO_OFF, PAM_PROMPT_ECHO_ON):
                if not answers:
                    return 19  # PAM_CONV_ERR: nothing more to type
                print("    " + text + "********", flush=True)
                out[i].resp = libc.strdup(answers.pop(0).encode())
            else:
                print("    " + text, flush=True)
        resp[0] = out
        return 0

    c_conv = CONV(conv)
    handle = ctypes.c_void_p()
    conv_struct = Conv(c_conv, None)
    r = pam.pam_start(sys.argv[1].encode(), sys.argv[2].encode(), ctypes.byref(conv_struct),
                      ctypes.byref(handle))
    if r != 0:
        sys.exit("pam_start failed: %d" % r)
    pam.pam_set_item(handle, PAM_RHOST, b"ws1.example.org")
    for step in sys.argv[3:]:
        fn, flags = {"authenticate": (pam.pam_authenticate, 0),
                     "acct_mgmt": (pam.pam_acct_mgmt, 0),
                     "open_session": (pam.pam_open_session, 0),
                     "close_session": (pam.pam_close_session, 0),
                     "chauthtok": (pam.pam_chauthtok, PAM_CHANGE_EXPIRED_AUTHTOK)}[step]
        r = fn(handle, flags)
        print("  %s: %s" % (step, pam.pam_strerror(handle, r).decode("utf-8", "replace")))
        if r != 0:
            break
    pam.pam_end(handle, r)


if __name__ == "__main__":
    main()
