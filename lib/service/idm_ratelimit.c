#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "idm_ratelimit.h"

struct slot {
	char key[IDM_RATELIMIT_KEY_MAX];
	time_t first, last; /* the window's start; the latest refusal */
	long count;
};

struct idm_ratelimit {
	pthread_mutex_t lock;
	long max, window;
	struct slot slots[IDM_RATELIMIT_KEYS];
};

struct idm_ratelimit *idm_ratelimit_new(long max, long window)
{
	struct idm_ratelimit *rl = calloc(1, sizeof(*rl));

	if (!rl)
		return NULL;
	pthread_mutex_init(&rl->lock, NULL);
	rl->max = max;
	rl->window = window;
	return rl;
}

void idm_ratelimit_free(struct idm_ratelimit *rl)
{
	if (!rl)
		return;
	pthread_mutex_destroy(&rl->lock);
	free(rl);
}

/* The slot of key, or NULL; with create, a free or the stalest slot. */
static struct slot *find(struct idm_ratelimit *rl, const char *key, bool create)
{
	struct slot *stalest = &rl->slots[0];

	for (size_t i = 0; i < IDM_RATELIMIT_KEYS; i++) {
		struct slot *s = &rl->slots[i];
		if (s->key[0] && strcmp(s->key, key) == 0)
			return s;
		if (!s->key[0] || (stalest->key[0] && s->last < stalest->last))
			stalest = s;
	}
	if (!create)
		return NULL;
	memset(stalest, 0, sizeof(*stalest));
	strncpy(stalest->key, key, sizeof(stalest->key) - 1);
	return stalest;
}

bool idm_ratelimit_blocked(struct idm_ratelimit *rl, const char *key, time_t now)
{
	struct slot *s;
	bool blocked = false;

	pthread_mutex_lock(&rl->lock);
	s = find(rl, key, false);
	if (s && now - s->first < rl->window)
		blocked = s->count >= rl->max;
	pthread_mutex_unlock(&rl->lock);
	return blocked;
}

void idm_ratelimit_refused(struct idm_ratelimit *rl, const char *key, time_t now)
{
	struct slot *s;

	pthread_mutex_lock(&rl->lock);
	s = find(rl, key, true);
	if (now - s->first >= rl->window) {
		s->first = now;
		s->count = 0;
	}
	s->count++;
	s->last = now;
	pthread_mutex_unlock(&rl->lock);
}
