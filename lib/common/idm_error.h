/* idm_error.h -- the one error type of the core library.
 *
 * Every core function that can fail returns 0 or one of these negative codes.
 * The PAM module maps them to PAM codes and the command to exit statuses,
 * each in one table of its own. Details go to the logger (idm_log.h). */
#ifndef IDM_ERROR_H
#define IDM_ERROR_H

enum idm_err {
	IDM_OK = 0,
	IDM_ENOMEM = -1,   /* out of memory */
	IDM_EINVAL = -2,   /* invalid input: form, uid, argument, directory reply */
	IDM_ECONFIG = -3,  /* invalid configuration or secret file */
	IDM_EUNAVAIL = -4, /* no directory server answered */
	IDM_EAUTH = -5,    /* wrong credentials */
	IDM_ENOENT = -6,   /* no such entry */
	IDM_EEXIST = -7,   /* already exists */
	IDM_EDENIED = -8,  /* refused: permission, separation of duties */
	IDM_EDIR = -9,     /* the directory refused or failed an operation */
	IDM_EIO = -10,     /* a local file could not be read or written */
	IDM_EPOLICY = -11, /* refused by the password policy */
	IDM_ESTATE = -12,  /* the object is in the wrong state for this */
	IDM_ERANGE = -13,  /* a value beyond a sane bound */
	/* "Already so" answers of the directory, which idempotent writers
	 * and compare-and-swap callers judge (never a side channel): */
	IDM_ENOVALUE = -14, /* the value or attribute to delete is not there */
	IDM_ESCHEMA = -15,  /* the change breaks the schema or a constraint */
	IDM_ELIMIT = -16,   /* the directory's size or administrative limit */
};

/* A short English description of err; never NULL. */
const char *idm_strerror(int err);

#endif
