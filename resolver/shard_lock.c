/*
 * shard_lock.c: a reader-writer lock whose readers write only their own
 * cache line (Dekker's handshake on sequentially consistent atomics:
 * the reader stores its announcement then loads the writing flag, the
 * writer stores the flag then loads the announcements; one of the two
 * always sees the other).
 */
#include <sched.h>
#include <stdint.h>

#include "shard_lock.h"

/* Which reader slots threads hold, one bit each; process-wide. */
static uint64_t slots_used;

/* A reader's announcement of every shard at once (ids are small). */
#define SHARD_ALL	UINT32_MAX

static pthread_key_t slot_key;
static pthread_once_t slot_key_once = PTHREAD_ONCE_INIT;
_Thread_local int shard_my_slot = -1;

/* At thread exit: the slot goes back (its announcement is 0 by now). */
static void
slot_release(void *value)
{
	unsigned slot = (unsigned)((uintptr_t)value - 1);

	__atomic_fetch_and(&slots_used, ~((uint64_t)1 << slot),
	    __ATOMIC_SEQ_CST);
}

static void
slot_key_create(void)
{
	(void)pthread_key_create(&slot_key, slot_release);
}

/* The calling thread's reader slot, or -1 when all are taken. */
static int
reader_slot(void)
{
	uint64_t used;

	if (shard_my_slot >= 0)
		return shard_my_slot;
	pthread_once(&slot_key_once, slot_key_create);
	used = __atomic_load_n(&slots_used, __ATOMIC_SEQ_CST);
	while (used != UINT64_MAX) {
		int slot = __builtin_ctzll(~used);

		if (__atomic_compare_exchange_n(&slots_used, &used,
		    used | (uint64_t)1 << slot, false, __ATOMIC_SEQ_CST,
		    __ATOMIC_SEQ_CST)) {
			if (pthread_setspecific(slot_key,
			    (void *)(uintptr_t)(slot + 1)) != 0) {
				slot_release((void *)(uintptr_t)(slot + 1));
				return -1;
			}
			shard_my_slot = slot;
			return slot;
		}
	}
	return -1;
}

void
shard_lock_init(struct shard_lock *lock, unsigned id)
{
	pthread_mutex_init(&lock->mutex, NULL);
	lock->writing = 0;
	lock->id = id;
}

void
shard_lock_destroy(struct shard_lock *lock)
{
	pthread_mutex_destroy(&lock->mutex);
}

bool
shard_read_lock(struct shard_readers *readers, struct shard_lock *lock)
{
	int slot = reader_slot();

	if (slot >= 0 && shard_read_announce(readers, lock, slot))
		return true;
	/* No slot, or a writer is in: wait on the mutex like the others. */
	pthread_mutex_lock(&lock->mutex);
	return false;
}

void
shard_read_unlock(struct shard_readers *readers, struct shard_lock *lock,
    bool token)
{
	if (token)
		__atomic_store_n(&readers->slot[shard_my_slot].reading, 0,
		    __ATOMIC_RELEASE);
	else
		pthread_mutex_unlock(&lock->mutex);
}

bool
shard_read_lock_all(struct shard_readers *readers)
{
	int slot = reader_slot();

	if (slot < 0)
		return false;
	__atomic_store_n(&readers->slot[slot].reading, SHARD_ALL,
	    __ATOMIC_SEQ_CST);
	return true;
}

void
shard_read_unlock_all(struct shard_readers *readers)
{
	__atomic_store_n(&readers->slot[shard_my_slot].reading, 0,
	    __ATOMIC_RELEASE);
}

void
shard_write_lock(struct shard_readers *readers, struct shard_lock *lock)
{
	uint64_t used;

	pthread_mutex_lock(&lock->mutex);
	__atomic_store_n(&lock->writing, 1, __ATOMIC_SEQ_CST);
	/*
	 * A thread taking a slot after this load stores its announcement
	 * after our flag, so it sees the flag: the slots seen are enough.
	 */
	used = __atomic_load_n(&slots_used, __ATOMIC_SEQ_CST);
	for (; used != 0; used &= used - 1) {
		unsigned *reading = &readers->slot[__builtin_ctzll(used)].reading;
		unsigned id;

		/* Readers hold a shard for a lookup and a copy, all the
		 * shards for a batch's prefetch: short. */
		for (unsigned spins = 0; (id = __atomic_load_n(reading,
		    __ATOMIC_SEQ_CST)) == lock->id || id == SHARD_ALL; spins++)
			if (spins >= 100)
				sched_yield();
	}
}

void
shard_write_unlock(struct shard_lock *lock)
{
	__atomic_store_n(&lock->writing, 0, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&lock->mutex);
}
