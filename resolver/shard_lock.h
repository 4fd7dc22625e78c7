/*
 * shard_lock.h: the lock of one cache shard, for data read far more often
 * than written (cache hits against stores). Readers write nothing shared:
 * each thread announces the shard it reads in a cache line of its own (a
 * "big reader" lock), so two workers hitting the same shards do not pass
 * a lock's cache line back and forth as they would with a mutex or a
 * pthread_rwlock (whose readers all increment one counter). A writer takes
 * the shard's mutex, raises the shard's writing flag and waits until no
 * thread announces the shard; readers that see the flag queue on the
 * mutex instead. Writers are exclusive, so what they remove can be freed
 * at once: no deferred freeing.
 *
 * Reader announcements live in a `struct shard_readers`, one per cache
 * (shared by its shards, told apart by their ids). A thread gets a reader
 * slot on its first read and gives it back when it exits; past
 * SHARD_READERS_MAX threads at once, readers take the mutex.
 */
#ifndef DESCEND_SHARD_LOCK_H
#define DESCEND_SHARD_LOCK_H

#include <pthread.h>
#include <stdbool.h>

/* Reader slots of a cache: threads reading at once without the mutex. */
#define SHARD_READERS_MAX	64

struct shard_readers {
	struct {
		unsigned reading;	/* atomic: the id of the shard read, 0 */
	} __attribute__((aligned(64))) slot[SHARD_READERS_MAX];
};

struct shard_lock {
	pthread_mutex_t mutex;
	unsigned writing;		/* atomic: a writer holds the mutex */
	unsigned id;			/* non-zero, unique within the readers */
};

/* `id` tells this shard from the others sharing one shard_readers. */
void shard_lock_init(struct shard_lock *lock, unsigned id);
void shard_lock_destroy(struct shard_lock *lock);

/*
 * Shared access: nothing may change in the shard until
 * shard_read_unlock, which takes the value this returned. A reader may
 * store only into atomics (a referenced bit, a flag) while it holds it,
 * and may not take the same shard's write lock.
 */
bool shard_read_lock(struct shard_readers *readers, struct shard_lock *lock);
void shard_read_unlock(struct shard_readers *readers, struct shard_lock *lock,
    bool token);

/*
 * The same inline, for the cache-hit path (a call each way cost more
 * instructions than the lock): the thread's reader slot, -1 until its
 * first read (then shard_read_lock takes one), and the lock itself.
 */
extern _Thread_local int shard_my_slot;

/*
 * Announces a read of `lock` in reader slot `slot`: true when no writer
 * is in (the reader holds it), else the announcement is withdrawn and the
 * reader must wait on the mutex like the others.
 */
static inline bool
shard_read_announce(struct shard_readers *readers, struct shard_lock *lock,
    int slot)
{
	unsigned *reading = &readers->slot[slot].reading;

	__atomic_store_n(reading, lock->id, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&lock->writing, __ATOMIC_SEQ_CST) == 0)
		return true;
	__atomic_store_n(reading, 0, __ATOMIC_RELEASE);
	return false;
}

static inline bool
shard_read_lock_inline(struct shard_readers *readers, struct shard_lock *lock)
{
	int slot = shard_my_slot;

	if (slot >= 0 && shard_read_announce(readers, lock, slot))
		return true;
	return shard_read_lock(readers, lock);
}

static inline void
shard_read_unlock_inline(struct shard_readers *readers,
    struct shard_lock *lock, bool token)
{
	if (token)
		__atomic_store_n(&readers->slot[shard_my_slot].reading, 0,
		    __ATOMIC_RELEASE);
	else
		shard_read_unlock(readers, lock, token);
}

/*
 * Shared access to every shard of `readers` at once with one announcement,
 * for a reader that only looks at many shards in a row (a batch's
 * prefetch: a lock per entry cost more than the prefetch it guarded).
 * It never waits: shard_read_lock_all returns false when the thread has
 * no reader slot, and while it is held a shard may be read only when
 * shard_read_all_open says no writer is in it (a writer that comes later
 * waits for shard_read_unlock_all). The holder may take no other lock of
 * `readers`, shared or exclusive, until it lets go.
 */
bool shard_read_lock_all(struct shard_readers *readers);
void shard_read_unlock_all(struct shard_readers *readers);

static inline bool
shard_read_all_open(const struct shard_lock *lock)
{
	/* Loaded after the announcement (Dekker's handshake, as in
	 * shard_read_lock): a writer either is seen here or sees it. */
	return __atomic_load_n(&lock->writing, __ATOMIC_SEQ_CST) == 0;
}

/* Exclusive access. */
void shard_write_lock(struct shard_readers *readers, struct shard_lock *lock);
void shard_write_unlock(struct shard_lock *lock);

#endif /* DESCEND_SHARD_LOCK_H */
