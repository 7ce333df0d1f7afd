/* SysV IPC: shared memory control, semaphores and message queues on
 * private objects, each removed at the end. shmat would map memory the
 * replayer cannot recreate, so only its refusal by the kernel is here. */
#include "conf_sys.h"

#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <time.h>
#include <unistd.h>

union semun_arg {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
	struct seminfo *info;
};

struct message {
	long mtype;
	char mtext[32];
};

static void shared_memory(void)
{
	struct shmid_ds ds;
	struct shm_info info;
	struct shminfo limits;
	int id = shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0600);

	CHECK(id >= 0, "shmget IPC_PRIVATE");
	if (id < 0)
		return;
	memset(&ds, 0xa5, sizeof(ds));
	CHECK(shmctl(id, IPC_STAT, &ds) == 0, "shmctl IPC_STAT");
	CHECK(ds.shm_segsz == 8192, "shm_segsz is 8192");
	CHECK(ds.shm_nattch == 0, "shm_nattch is 0");
	CHECK(ds.shm_cpid == getpid(), "shm_cpid is the caller");
	CHECK((ds.shm_perm.mode & 0777) == 0600, "shm mode 0600");
	ds.shm_perm.mode = 0640;
	CHECK(shmctl(id, IPC_SET, &ds) == 0, "shmctl IPC_SET");
	memset(&ds, 0, sizeof(ds));
	CHECK(shmctl(id, IPC_STAT, &ds) == 0 && (ds.shm_perm.mode & 0777) == 0640,
	      "shm mode now 0640");
	CHECK(shmctl(id, SHM_INFO, (struct shmid_ds *)&info) >= 0 && info.used_ids >= 1,
	      "shmctl SHM_INFO");
	CHECK(shmctl(id, IPC_INFO, (struct shmid_ds *)&limits) >= 0 && limits.shmmax > 0,
	      "shmctl IPC_INFO");
	errno = 0;
	CHECK(shmat(-1, NULL, 0) == (void *)-1 && errno == EINVAL, "shmat of a bad id fails");
	errno = 0;
	CHECK(shmdt((void *)4096) == -1 && errno == EINVAL, "shmdt of no segment fails");
	CHECK(shmctl(id, IPC_RMID, NULL) == 0, "shmctl IPC_RMID");
	errno = 0;
	CHECK(shmctl(id, IPC_STAT, &ds) == -1 && (errno == EINVAL || errno == EIDRM),
	      "removed segment is gone");
}

static void semaphores(void)
{
	unsigned short vals[3] = { 1, 2, 3 }, got[3] = { 0 };
	struct semid_ds ds;
	struct seminfo info;
	struct sembuf op;
	struct timespec ts = { 0, 1000000 };
	int id = semget(IPC_PRIVATE, 3, IPC_CREAT | 0600);

	CHECK(id >= 0, "semget IPC_PRIVATE, 3 semaphores");
	if (id < 0)
		return;
	CHECK(semctl(id, 0, SETVAL, (union semun_arg){ .val = 5 }) == 0, "semctl SETVAL");
	CHECK(semctl(id, 0, GETVAL) == 5, "semctl GETVAL is 5");
	CHECK(semctl(id, 0, SETALL, (union semun_arg){ .array = vals }) == 0, "semctl SETALL");
	CHECK(semctl(id, 0, GETALL, (union semun_arg){ .array = got }) == 0 &&
	      got[0] == 1 && got[1] == 2 && got[2] == 3, "semctl GETALL is 1 2 3");
	op = (struct sembuf){ .sem_num = 1, .sem_op = 4, .sem_flg = 0 };
	CHECK(semop(id, &op, 1) == 0, "semop +4");
	CHECK(semctl(id, 1, GETVAL) == 6, "semaphore 1 is 6");
	CHECK(semctl(id, 1, GETPID) == getpid(), "semctl GETPID is the caller");
	CHECK(semctl(id, 1, GETNCNT) == 0 && semctl(id, 1, GETZCNT) == 0,
	      "no waiters");
	op = (struct sembuf){ .sem_num = 0, .sem_op = -10, .sem_flg = IPC_NOWAIT };
	errno = 0;
	CHECK(semop(id, &op, 1) == -1 && errno == EAGAIN, "semop would block: EAGAIN");
	op.sem_flg = 0;
	errno = 0;
	CHECK(semtimedop(id, &op, 1, &ts) == -1 && errno == EAGAIN,
	      "semtimedop times out: EAGAIN");
	op = (struct sembuf){ .sem_num = 2, .sem_op = -3, .sem_flg = 0 };
	CHECK(semtimedop(id, &op, 1, &ts) == 0 && semctl(id, 2, GETVAL) == 0,
	      "semtimedop -3 to zero");
	CHECK(semctl(id, 0, IPC_STAT, (union semun_arg){ .buf = &ds }) == 0 &&
	      ds.sem_nsems == 3, "semctl IPC_STAT: 3 semaphores");
	CHECK(semctl(id, 0, SEM_INFO, (union semun_arg){ .info = &info }) >= 0 &&
	      info.semmsl > 0, "semctl SEM_INFO");
	CHECK(semctl(id, 0, IPC_RMID) == 0, "semctl IPC_RMID");
}

static void messages(void)
{
	struct message m;
	struct msqid_ds ds;
	struct msginfo info;
	int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);

	CHECK(id >= 0, "msgget IPC_PRIVATE");
	if (id < 0)
		return;
	m = (struct message){ 1, "hello" };
	CHECK(msgsnd(id, &m, 6, 0) == 0, "msgsnd type 1");
	m = (struct message){ 2, "world!" };
	CHECK(msgsnd(id, &m, 7, IPC_NOWAIT) == 0, "msgsnd type 2");
	CHECK(msgctl(id, IPC_STAT, &ds) == 0 && ds.msg_qnum == 2 && ds.msg_cbytes == 13,
	      "msgctl IPC_STAT: 2 messages, 13 bytes");
	memset(&m, 0, sizeof(m));
	CHECK(msgrcv(id, &m, sizeof(m.mtext), 2, 0) == 7 && m.mtype == 2 &&
	      strcmp(m.mtext, "world!") == 0, "msgrcv type 2: world!");
	memset(&m, 0, sizeof(m));
	CHECK(msgrcv(id, &m, sizeof(m.mtext), 0, 0) == 6 && m.mtype == 1 &&
	      strcmp(m.mtext, "hello") == 0, "msgrcv any: hello");
	errno = 0;
	CHECK(msgrcv(id, &m, sizeof(m.mtext), 0, IPC_NOWAIT) == -1 && errno == ENOMSG,
	      "msgrcv empty queue: ENOMSG");
	m = (struct message){ 3, "truncated message" };
	CHECK(msgsnd(id, &m, 18, 0) == 0, "msgsnd long message");
	memset(&m, 0, sizeof(m));
	CHECK(msgrcv(id, &m, 9, 0, MSG_NOERROR) == 9 && memcmp(m.mtext, "truncated", 9) == 0,
	      "msgrcv MSG_NOERROR truncates to 9");
	CHECK(msgctl(id, MSG_INFO, (struct msqid_ds *)&info) >= 0 && info.msgmax > 0,
	      "msgctl MSG_INFO");
	CHECK(msgctl(id, IPC_RMID, NULL) == 0, "msgctl IPC_RMID");
}

int main(void)
{
	shared_memory();
	semaphores();
	messages();
	return conf_finish("conf_sys_sysvipc");
}
