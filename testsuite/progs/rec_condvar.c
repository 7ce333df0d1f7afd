/* Threads with a mutex and condition variables (futexes): a bounded queue
 * with producers and consumers; prints the totals, identical every run. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define QLEN 4
#define ITEMS 2000
#define PRODUCERS 3
#define CONSUMERS 2

static int queue[QLEN], head, count, done_producers;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;

static void *producer(void *arg)
{
	int base = (int)(long)arg * ITEMS;
	for (int i = 1; i <= ITEMS; i++) {
		pthread_mutex_lock(&lock);
		while (count == QLEN)
			pthread_cond_wait(&not_full, &lock);
		queue[(head + count++) % QLEN] = base + i;
		pthread_cond_signal(&not_empty);
		pthread_mutex_unlock(&lock);
	}
	pthread_mutex_lock(&lock);
	done_producers++;
	pthread_cond_broadcast(&not_empty);
	pthread_mutex_unlock(&lock);
	return NULL;
}

static void *consumer(void *arg)
{
	long long *sum = arg;
	for (;;) {
		pthread_mutex_lock(&lock);
		while (count == 0 && done_producers < PRODUCERS)
			pthread_cond_wait(&not_empty, &lock);
		if (count == 0) {
			pthread_mutex_unlock(&lock);
			return NULL;
		}
		int v = queue[head];
		head = (head + 1) % QLEN;
		count--;
		pthread_cond_signal(&not_full);
		pthread_mutex_unlock(&lock);
		*sum += v;
	}
}

int main(void)
{
	pthread_t p[PRODUCERS], c[CONSUMERS];
	long long sums[CONSUMERS] = { 0 };
	for (int i = 0; i < CONSUMERS; i++)
		pthread_create(&c[i], NULL, consumer, &sums[i]);
	for (long i = 0; i < PRODUCERS; i++)
		pthread_create(&p[i], NULL, producer, (void *)i);
	for (int i = 0; i < PRODUCERS; i++)
		pthread_join(p[i], NULL);
	for (int i = 0; i < CONSUMERS; i++)
		pthread_join(c[i], NULL);
	long long total = 0;
	for (int i = 0; i < CONSUMERS; i++)
		total += sums[i];
	long long n = (long long)PRODUCERS * ITEMS;
	printf("total %lld (expected %lld)\n", total, n * (n + 1) / 2);
	return total == n * (n + 1) / 2 ? 0 : 1;
}
