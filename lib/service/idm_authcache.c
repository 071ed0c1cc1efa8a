#include "config.h"

#include <errno.h>
#include <nettle/hmac.h>
#include <nettle/memops.h>
#include <nettle/sha2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "idm_authcache.h"
#include "idm_error.h"
#include "idm_random.h"

#define KEY_LEN 32

struct slot {
	char *uid, *dn; /* NULL: free */
	uint8_t mac[SHA256_DIGEST_SIZE];
	uint8_t state[IDM_AUTHCACHE_STATE_LEN];
	unsigned roles;
	struct timespec made; /* CLOCK_MONOTONIC */
};

struct idm_authcache {
	long timeout;
	uint8_t key[KEY_LEN];
	struct slot slots[IDM_AUTHCACHE_SLOTS];
	pthread_mutex_t mu;
	pthread_cond_t wake; /* the expiry thread's: stop */
	pthread_t expiry;
	bool stopping, thread_started;
};

static void now_mono(struct timespec *t)
{
	clock_gettime(CLOCK_MONOTONIC, t);
}

/* Whole seconds from a to b, rounded down. */
static long seconds_between(const struct timespec *a, const struct timespec *b)
{
	long s = (long)(b->tv_sec - a->tv_sec);

	return b->tv_nsec < a->tv_nsec ? s - 1 : s;
}

static bool before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static void wipe_string(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

static void slot_clear(struct slot *s)
{
	wipe_string(s->uid);
	wipe_string(s->dn);
	explicit_bzero(s, sizeof(*s));
}

/* An entry is kept strictly less than timeout seconds. */
static bool expired(const struct idm_authcache *c, const struct slot *s, const struct timespec *now)
{
	struct timespec end = s->made;

	end.tv_sec += c->timeout;
	return !before(now, &end);
}

static void purge(struct idm_authcache *c, const struct timespec *now)
{
	for (int i = 0; i < IDM_AUTHCACHE_SLOTS; i++)
		if (c->slots[i].uid && expired(c, &c->slots[i], now))
			slot_clear(&c->slots[i]);
}

/* Wipes what expired, about every 250 ms: an entry outlives its timeout
 * by at most that much in memory, and never counts past it (match checks
 * the time itself). */
static void *expiry_main(void *arg)
{
	struct idm_authcache *c = arg;

	pthread_mutex_lock(&c->mu);
	while (!c->stopping) {
		struct timespec now, until;
		now_mono(&now);
		purge(c, &now);
		until = now;
		until.tv_nsec += 250 * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&c->wake, &c->mu, &until);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

struct idm_authcache *idm_authcache_new(long timeout)
{
	struct idm_authcache *c = calloc(1, sizeof(*c));
	pthread_condattr_t ca;

	if (!c)
		return NULL;
	c->timeout = timeout < 0 ? 0 : timeout;
	/* key and hashes never to swap, where the limit allows (best effort:
	 * the passwords themselves pass through unlocked memory anyway) */
	(void)mlock(c, sizeof(*c));
	if (idm_random_bytes(c->key, sizeof(c->key)) < 0) {
		(void)munlock(c, sizeof(*c));
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->wake, &ca);
	pthread_condattr_destroy(&ca);
	if (c->timeout > 0) {
		if (pthread_create(&c->expiry, NULL, expiry_main, c) != 0) {
			idm_authcache_free(c);
			return NULL;
		}
		c->thread_started = true;
	}
	return c;
}

void idm_authcache_free(struct idm_authcache *c)
{
	if (!c)
		return;
	if (c->thread_started) {
		pthread_mutex_lock(&c->mu);
		c->stopping = true;
		pthread_cond_signal(&c->wake);
		pthread_mutex_unlock(&c->mu);
		pthread_join(c->expiry, NULL);
	}
	for (int i = 0; i < IDM_AUTHCACHE_SLOTS; i++)
		slot_clear(&c->slots[i]);
	pthread_cond_destroy(&c->wake);
	pthread_mutex_destroy(&c->mu);
	explicit_bzero(c->key, sizeof(c->key));
	(void)munlock(c, sizeof(*c));
	free(c);
}

bool idm_authcache_on(const struct idm_authcache *c)
{
	return c && c->timeout > 0;
}

static void mac_of(const struct idm_authcache *c, const char *uid, const char *dn,
		   const char *password, uint8_t out[SHA256_DIGEST_SIZE])
{
	struct hmac_sha256_ctx h;

	hmac_sha256_set_key(&h, sizeof(c->key), c->key);
	hmac_sha256_update(&h, strlen(uid) + 1, (const uint8_t *)uid);
	hmac_sha256_update(&h, strlen(dn) + 1, (const uint8_t *)dn);
	hmac_sha256_update(&h, strlen(password), (const uint8_t *)password);
	hmac_sha256_digest(&h, SHA256_DIGEST_SIZE, out);
	explicit_bzero(&h, sizeof(h)); /* the key's pads */
}

static struct slot *find(struct idm_authcache *c, const char *uid)
{
	for (int i = 0; i < IDM_AUTHCACHE_SLOTS; i++)
		if (c->slots[i].uid && strcmp(c->slots[i].uid, uid) == 0)
			return &c->slots[i];
	return NULL;
}

bool idm_authcache_match(struct idm_authcache *c, const char *uid, const char *password,
			 struct idm_authcache_hit *hit)
{
	uint8_t mac[SHA256_DIGEST_SIZE];
	struct timespec now;
	struct slot *s;
	bool ok = false;

	memset(hit, 0, sizeof(*hit));
	if (!c || c->timeout <= 0 || !uid || !password || !*password)
		return false;
	now_mono(&now);
	pthread_mutex_lock(&c->mu);
	s = find(c, uid);
	if (s && expired(c, s, &now)) {
		slot_clear(s);
		s = NULL;
	}
	if (s) {
		mac_of(c, uid, s->dn, password, mac);
		ok = memeql_sec(mac, s->mac, sizeof(mac)) != 0;
		explicit_bzero(mac, sizeof(mac));
	}
	if (ok) {
		hit->dn = strdup(s->dn);
		memcpy(hit->state, s->state, sizeof(hit->state));
		hit->roles = s->roles;
		hit->age = seconds_between(&s->made, &now);
		ok = hit->dn != NULL;
	}
	pthread_mutex_unlock(&c->mu);
	return ok;
}

void idm_authcache_put(struct idm_authcache *c, const char *uid, const char *dn,
		       const char *password, const uint8_t state[IDM_AUTHCACHE_STATE_LEN],
		       unsigned roles)
{
	struct timespec now;
	struct slot *s, *soonest = NULL;

	if (!c || c->timeout <= 0 || !uid || !dn || !password || !*password)
		return;
	now_mono(&now);
	pthread_mutex_lock(&c->mu);
	purge(c, &now);
	s = find(c, uid);
	for (int i = 0; !s && i < IDM_AUTHCACHE_SLOTS; i++) {
		if (!c->slots[i].uid)
			s = &c->slots[i];
		else if (!soonest || before(&c->slots[i].made, &soonest->made))
			soonest = &c->slots[i];
	}
	if (!s)
		s = soonest; /* full: the one expiring first makes room */
	slot_clear(s);
	s->uid = strdup(uid);
	s->dn = strdup(dn);
	if (!s->uid || !s->dn) {
		slot_clear(s); /* out of memory: the next request binds */
	} else {
		mac_of(c, uid, dn, password, s->mac);
		memcpy(s->state, state, sizeof(s->state));
		s->roles = roles;
		s->made = now;
	}
	pthread_mutex_unlock(&c->mu);
}

void idm_authcache_drop(struct idm_authcache *c, const char *uid)
{
	struct slot *s;

	if (!c || !uid)
		return;
	pthread_mutex_lock(&c->mu);
	s = find(c, uid);
	if (s)
		slot_clear(s);
	pthread_mutex_unlock(&c->mu);
}

int idm_authcache_count(struct idm_authcache *c)
{
	int n = 0;

	pthread_mutex_lock(&c->mu);
	for (int i = 0; i < IDM_AUTHCACHE_SLOTS; i++)
		n += c->slots[i].uid != NULL;
	pthread_mutex_unlock(&c->mu);
	return n;
}

/* What decides a bind as the entry and a login's checks on it.  Failed
 * attempts (pwdFailureTime, idmFailureTime) are not among them: a wrong
 * password never touches the cache, and one that locks the account sets
 * a lock mark, which is. */
static const char *const state_attrs[] = {
	"uid",
	"idmStatus",
	"idmValidUntil",
	"idmPolicy",
	"idmPrivileged",
	"pwdPolicySubentry",
	"pwdAccountLockedTime",
	"pwdStartTime",
	"pwdEndTime",
	"pwdReset",
	"pwdChangedTime",
	"idmLockedTime",
	"idmHardLockTime",
	"idmFailureCount",
	NULL,
};

int idm_authcache_state(struct idm_dir *d, const char *dn, uint8_t out[IDM_AUTHCACHE_STATE_LEN])
{
	struct sha256_ctx h;
	LDAPMessage *res = NULL, *e;
	LDAP *ld = idm_dir_ldap(d);
	int r = idm_dir_search(d, dn, LDAP_SCOPE_BASE, "(objectClass=*)", state_attrs, 1, &res);

	e = r == IDM_OK ? ldap_first_entry(ld, res) : NULL;
	if (r == IDM_OK && !e)
		r = IDM_ENOENT;
	if (r == IDM_OK) {
		sha256_init(&h);
		for (int i = 0; state_attrs[i]; i++) {
			struct berval **v = ldap_get_values_len(ld, e, state_attrs[i]);
			char len[32];
			/* name, count, then each value with its length: no two
			 * different states hash alike by moving bytes around */
			int n = snprintf(len, sizeof(len), "%s:%d:", state_attrs[i],
					 v ? ldap_count_values_len(v) : 0);
			sha256_update(&h, (size_t)n, (const uint8_t *)len);
			for (int k = 0; v && v[k]; k++) {
				n = snprintf(len, sizeof(len), "%lu:", (unsigned long)v[k]->bv_len);
				sha256_update(&h, (size_t)n, (const uint8_t *)len);
				sha256_update(&h, v[k]->bv_len, (const uint8_t *)v[k]->bv_val);
			}
			ldap_value_free_len(v);
		}
		sha256_digest(&h, IDM_AUTHCACHE_STATE_LEN, out);
	}
	ldap_msgfree(res);
	return r;
}
